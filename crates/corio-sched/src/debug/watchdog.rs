//! Debug mode's watchdog thread: reports a worker stuck in one poll while
//! it is still stuck, and runs the facade's hook (SIGQUIT's dump). loom
//! builds have no watchdog (no clock), hence the allowance below.
#![cfg_attr(corio_loom, allow(unused_imports))]

use std::time::{Duration, Instant};

use crate::loom::{Arc, Ordering};
use crate::sched::Scheduler;

use super::hooks::report;

/// The blocked-worker watchdog of debug mode. Reads each worker's poll
/// counter, parked flag and current task id (metrics rule 1): a worker not
/// parked whose counter has not moved for `threshold` while it holds a task
/// is stuck in that task's poll; it is reported once per incident, while
/// still stuck. Holds only a weak reference; ends at shutdown.
#[cfg(not(corio_loom))]
pub(crate) fn start_watchdog(shared: &Arc<Scheduler>, threshold: Duration, hook: Option<WatchdogHook>) {
    let weak = Arc::downgrade(shared);
    let workers = shared.workers();
    let tick = (threshold / 4).clamp(Duration::from_millis(1), Duration::from_millis(100));
    let spawned = std::thread::Builder::new().name("corio-watchdog".into()).spawn(move || {
        // Per worker: (poll count seen, when first seen, reported).
        let mut seen: Vec<(u64, Instant, bool)> = vec![(u64::MAX, Instant::now(), false); workers];
        loop {
            std::thread::sleep(tick);
            let Some(shared) = weak.upgrade() else { return };
            if shared.is_shutdown() {
                return;
            }
            if let Some(hook) = &hook {
                hook(&crate::Handle { shared: shared.clone() });
            }
            let now = Instant::now();
            for (i, entry) in seen.iter_mut().enumerate() {
                let m = &shared.obs.workers[i];
                // ORDERING: Relaxed: metrics rule 1, numbers only.
                let polls = m.polls.load(Ordering::Relaxed);
                // ORDERING: Relaxed: as above.
                let parked = m.parked.load(Ordering::Relaxed);
                // ORDERING: Relaxed: as above.
                let current = m.current.load(Ordering::Relaxed);
                if parked || current == 0 || polls != entry.0 {
                    *entry = (polls, now, false);
                    continue;
                }
                let stuck = now.saturating_duration_since(entry.1);
                if stuck >= threshold && !entry.2 {
                    entry.2 = true;
                    let task = shared.all_tasks().into_iter().find(|t| t.id().as_u64() == current);
                    let (name, id) = match task {
                        Some(t) => (t.name(), t.id().to_string()),
                        None => ("?".to_string(), current.to_string()),
                    };
                    report(&format!(
                        "corio: blocked worker: worker {i} has been stuck for {stuck:.1?} in one poll of task '{name}' \
                         (id {id}) (threshold {threshold:?}); a blocking call inside a task? use to_thread"
                    ));
                }
            }
        }
    });
    if let Err(e) = spawned {
        report(&format!("corio: debug mode: could not start the watchdog thread: {e}"));
    }
}

/// Called by the watchdog on every tick (the facade uses it to answer
/// SIGQUIT with a dump).
pub type WatchdogHook = std::sync::Arc<dyn Fn(&crate::Handle) + Send + Sync>;
