#![cfg(corio_loom)]
//! loom model: a Queue getter cancelled while a put races it loses no item.

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
