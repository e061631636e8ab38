//! Model of the per-worker counters (`metrics.rs` rules 1 and 2): the
//! owner's Relaxed load+store increments lose nothing, a concurrent reader (a
//! snapshot, the watchdog) sees a number that only grows, and a reader of
//! busy time never spins forever on the sequence count.

use crate::loom::{Arc, Ordering, thread};
use crate::metrics::{Observer, WorkerMetrics};

#[test]
fn loom_worker_counters_are_exact_for_the_owner_and_monotonic_for_readers() {
    loom::model(|| {
        let obs = Arc::new(Observer::new(1, None));
        let owner = {
            let obs = obs.clone();
            thread::spawn(move || {
                let m = &obs.workers[0];
                WorkerMetrics::bump(&m.polls);
                obs.park_begin(0);
                obs.park_end(0);
                WorkerMetrics::bump(&m.polls);
            })
        };
        let first = obs.worker_snapshot(0, 0);
        let second = obs.worker_snapshot(0, 0);
        let polls = |s: &crate::metrics::WorkerSnapshot| s.polls;
        assert!(polls(&first) <= polls(&second) && polls(&second) <= 2);
        owner.join().unwrap();
        let last = obs.worker_snapshot(0, 0);
        assert_eq!(polls(&last), 2);
        assert_eq!(last.parks, 1);
        // ORDERING: Relaxed: after join, the owner's stores are visible.
        assert!(!obs.workers[0].parked.load(Ordering::Relaxed));
    });
}
