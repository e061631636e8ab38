//! Model of the blocking pool's hand-off (`blocking/pool.rs` rules 2–3).

use std::time::Duration;

use crate::blocking::BlockingPool;
use crate::loom::{Arc, Condvar, Mutex, thread};

/// Two jobs submitted from two threads to a one-thread pool both run: a
/// submission never counts on a sleeper another submission already claimed.
#[test]
fn loom_blocking_pool_hand_off_runs_every_job() {
    loom::model(|| {
        let pool = BlockingPool::new(1, Duration::from_secs(1), "loom-blocking".into(), None);
        let done = Arc::new((Mutex::new(0usize), Condvar::new()));
        let job = |done: Arc<(Mutex<usize>, Condvar)>| {
            Box::new(move || {
                *done.0.lock() += 1;
                done.1.notify_all();
            })
        };
        let other = {
            let pool = pool.clone();
            let done = done.clone();
            thread::spawn(move || pool.submit(job(done)).unwrap())
        };
        pool.submit(job(done.clone())).unwrap();
        other.join().unwrap();
        let mut count = done.0.lock();
        while *count < 2 {
            count = done.1.wait(count);
        }
        drop(count);
        pool.shutdown();
    });
}
