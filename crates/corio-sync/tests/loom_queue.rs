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
/// the slot; the get must see the putters' flag or the put must see the room. (A bound of 2:
/// the ring proper, not concurrent-queue's one-slot queue.)
#[test]
fn queue_full_put_vs_lock_free_get_never_misses_wakeup() {
    loom::model(|| {
        let q = Queue::new(2);
        q.put_nowait(1).unwrap();
        q.put_nowait(2).unwrap();
        let q1 = q.clone();
        let t = thread::spawn(move || block_on(q1.put(3)).unwrap());
        assert_eq!(q.get_nowait(), Ok(1));
        assert_eq!(block_on(q.get()), Ok(2));
        assert_eq!(block_on(q.get()), Ok(3));
        t.join().unwrap();
        assert!(q.empty());
    });
}

/// Rule 2: two putters queued on a full queue are refilled in order by gets on another thread.
#[test]
fn queue_two_queued_putters_are_refilled_in_order() {
    loom::model(|| {
        let q = Queue::new(1);
        q.put_nowait(1).unwrap();
        let mut p2 = Box::pin(q.put(2));
        let mut p3 = Box::pin(q.put(3));
        assert!(poll_once(p2.as_mut()).is_pending());
        assert!(poll_once(p3.as_mut()).is_pending());
        let q1 = q.clone();
        let getter = thread::spawn(move || (0..3).map(|_| block_on(q1.get()).unwrap()).collect::<Vec<_>>());
        block_on(p2).unwrap();
        block_on(p3).unwrap();
        assert_eq!(getter.join().unwrap(), [1, 2, 3]);
    });
}

/// Two lock-free producers and a getter that queues: every item arrives exactly once.
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

/// Rule 6: a lock-free put racing `shutdown(true)` either fails or has its item taken out
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

/// Rules 1 and 6: `shutdown(false)` racing a lock-free put while a getter waits. The put
/// either fails, or its item reaches the getter; a getter never gets `QueueShutDown` while a
/// put that succeeded left its item behind.
#[test]
fn queue_put_racing_shutdown_with_a_waiting_getter_strands_nothing() {
    loom::model(|| {
        let q = Queue::new(2);
        let (qg, qp) = (q.clone(), q.clone());
        let getter = thread::spawn(move || block_on(qg.get()));
        let putter = thread::spawn(move || qp.put_nowait(7).is_ok());
        q.shutdown(false);
        let got = getter.join().unwrap();
        let put = putter.join().unwrap();
        assert_eq!(got.is_ok(), put, "put {put}, getter got {got:?}");
        assert!(q.empty());
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

/// Rule 5: a `join` that starts after an item was put waits for that item's `task_done`,
/// even when an earlier item's `task_done` brought the count to zero just before the put.
#[test]
fn queue_join_after_a_put_waits_for_that_items_task_done() {
    loom::model(|| {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait(), Ok(1));
        let b_done = std::sync::Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let q1 = q.clone();
        let first = thread::spawn(move || q1.task_done().unwrap());
        let (q2, done) = (q.clone(), b_done.clone());
        let second = thread::spawn(move || {
            assert_eq!(block_on(q2.get()), Ok(2));
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            q2.task_done().unwrap();
        });
        q.put_nowait(2).unwrap();
        block_on(q.join());
        assert!(b_done.load(std::sync::atomic::Ordering::SeqCst), "join returned before item 2 was done");
        first.join().unwrap();
        second.join().unwrap();
    });
}

/// The locked storage (`LifoQueue`) under the same handshake as the ring.
#[test]
fn lifo_queue_blocking_get_vs_put_never_misses_wakeup() {
    loom::model(|| {
        let q = corio_sync::LifoQueue::new(1);
        let q1 = q.clone();
        let t = thread::spawn(move || block_on(q1.put(3)).unwrap());
        assert_eq!(block_on(q.get()), Ok(3));
        t.join().unwrap();
    });
}
