//! Debug mode's SIGQUIT dump (API.md §13; `docs/observability.md`).
//!
//! In debug mode each runtime registers a SIGQUIT action that only sets a
//! flag (async-signal-safe); the scheduler's watchdog thread, which wakes
//! several times per threshold, sees the flag and prints
//! [`Handle::dump`](crate::Handle::dump) to stderr. The action is removed
//! when the runtime is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// One runtime's SIGQUIT registration.
#[derive(Debug)]
pub(crate) struct SigQuit {
    flag: Arc<AtomicBool>,
    id: signal_hook_registry::SigId,
}

impl SigQuit {
    /// Registers the action; `None` (with a note on stderr) if the OS
    /// refuses.
    pub(crate) fn install() -> Option<SigQuit> {
        let flag = Arc::new(AtomicBool::new(false));
        let theirs = flag.clone();
        // SAFETY: the action only stores to an atomic, which is
        // async-signal-safe; it allocates nothing and takes no lock.
        let registered = unsafe {
            signal_hook_registry::register(libc::SIGQUIT, move || {
                // ORDERING: Relaxed: the watchdog only needs to see the flag
                // eventually; no data is published with it.
                theirs.store(true, Ordering::Relaxed);
            })
        };
        match registered {
            Ok(id) => Some(SigQuit { flag, id }),
            Err(e) => {
                eprintln!("corio: debug mode: cannot register the SIGQUIT dump: {e}");
                None
            }
        }
    }

    /// The watchdog hook: prints the dump once per SIGQUIT.
    pub(crate) fn hook(&self) -> corio_sched::WatchdogHook {
        let flag = self.flag.clone();
        Arc::new(move |handle: &corio_sched::Handle| {
            // ORDERING: Relaxed: see `install`.
            if flag.swap(false, Ordering::Relaxed) {
                let dump = handle.dump();
                eprint!("corio: task dump (SIGQUIT), {} live tasks:\n{dump}", dump.len());
            }
        })
    }
}

impl Drop for SigQuit {
    fn drop(&mut self) {
        signal_hook_registry::unregister(self.id);
    }
}
