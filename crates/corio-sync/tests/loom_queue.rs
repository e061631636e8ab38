#![cfg(corio_loom)]
//! loom models of the queue's protocol (`queue/mod.rs`, rule 7): lock-free puts and gets
//! against getters and putters queueing under the lock, shutdown and `join`; the FIFO ring is
//! concurrent-queue's, run on loom's atomics (`--cfg loom`).

mod loom_support;

use std::task::Poll;

use corio_sync::Queue;
use loom::thread;
use loom_support::{block_on, poll_once};

#[test]
fn queue_get_cancel_vs_put_loses_no_item() {
    loom::model(|| {
        let q = Queue::new(0);
        let q1 = q.clone();
        let canceller = thread::spawn(move || {
            let mut g = Box::pin(q1.get());
            match poll_once(g.as_mut()) {
                Poll::Ready(v) => v.ok(), // took it legitimately
                Poll::Pending => None,    // dropped, maybe after being handed the item
            }
        });
        q.put_nowait(1).unwrap();
        let taken = canceller.join().unwrap();
        let left = q.get_nowait().ok();
        // Exactly one of them has the item.
        assert_eq!(taken.is_some(), left.is_none());
        assert_eq!(taken.or(left), Some(1));
    });
}

#[test]
fn queue_blocking_get_vs_put_never_misses_wakeup() {
    loom::model(|| {
        let q = Queue::new(1);
        let q1 = q.clone();
        let t = thread::spawn(move || block_on(q1.put(3)).unwrap());
        assert_eq!(block_on(q.get()), Ok(3));
        t.join().unwrap();
    });
}

#[test]
fn queue_woken_getter_cancelled_hands_item_to_blocked_getter() {
    loom::model(|| {
        let q = Queue::new(0);
        let q0 = q.clone();
        let mut a = Box::pin(async move { q0.get().await });
        // `a` queues first, so the put hands the item to it.
        assert!(poll_once(a.as_mut()).is_pending());
        let q1 = q.clone();
        let blocked = thread::spawn(move || block_on(q1.get()));
        let canceller = thread::spawn(move || drop(a));
        q.put_nowait(9).unwrap();
        canceller.join().unwrap();
        assert_eq!(blocked.join().unwrap(), Ok(9));
        assert!(q.empty());
    });
}

/// Rule 7, putters' side: a put that finds the queue full queues while a lock-free get frees
/// the slot; the get must see the putters' flag or the put must see the room.
#[test]
fn queue_full_put_vs_lock_free_get_never_misses_wakeup() {
    loom::model(|| {
        let q = Queue::new(1);
        q.put_nowait(1).unwrap();
        let q1 = q.clone();
        let t = thread::spawn(move || block_on(q1.put(2)).unwrap());
        assert_eq!(q.get_nowait().or_else(|_| block_on(q.get()).map_err(|_| ())), Ok(1));
        assert_eq!(block_on(q.get()), Ok(2));
        t.join().unwrap();
        assert!(q.empty());
    });
}

/// Two lock-free producers and a getter that queues: every item arrives once, in each
/// producer's order.
#[test]
fn queue_two_lock_free_puts_vs_queued_getter_lose_nothing() {
    loom::model(|| {
        let q = Queue::new(2);
        let producers: Vec<_> = [10, 20]
            .into_iter()
            .map(|v| {
                let q = q.clone();
                thread::spawn(move || q.put_nowait(v).unwrap())
            })
            .collect();
        let mut got = vec![block_on(q.get()).unwrap(), block_on(q.get()).unwrap()];
        for p in producers {
            p.join().unwrap();
        }
        got.sort_unstable();
        assert_eq!(got, [10, 20]);
        assert!(q.empty());
    });
}

/// Rule 6 and 7: a lock-free put racing `shutdown(true)` either fails or has its item dropped
/// and counted done; no item survives the shutdown and `join` returns.
#[test]
fn queue_put_racing_immediate_shutdown_leaves_nothing() {
    loom::model(|| {
        let q = Queue::new(2);
        let q1 = q.clone();
        let t = thread::spawn(move || q1.put_nowait(5).is_ok());
        q.shutdown(true);
        let _put = t.join().unwrap();
        assert!(q.empty(), "an item outlived shutdown(true)");
        assert!(q.get_nowait().is_err());
        block_on(q.join());
    });
}

/// Rule 5: `task_done` on another thread releases a joiner queueing at the same time.
#[test]
fn queue_task_done_vs_join_never_misses_wakeup() {
    loom::model(|| {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait(), Ok(1));
        let q1 = q.clone();
        let t = thread::spawn(move || q1.task_done().unwrap());
        block_on(q.join());
        t.join().unwrap();
        assert!(q.task_done().is_err());
    });
}
