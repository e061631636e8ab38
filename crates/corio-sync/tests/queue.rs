#![cfg(not(corio_loom))]
//! Queue family: orders, bounds, waiting put/get, task_done/join, shutdown (asyncio 3.13),
//! cancel-safety, MPMC across threads.

mod common;

use std::task::Poll;
use std::thread;

use common::{DropCounter, block_on, counting_waker, join, poll_once, poll_with};
use corio_sync::{GetError, LifoQueue, PriorityQueue, PutError, Queue, QueueShutDown, TaskDoneError};

#[test]
fn queue_is_fifo() {
    let q = Queue::new(0);
    for i in 0..5 {
        q.put_nowait(i).unwrap();
    }
    let out: Vec<_> = (0..5).map(|_| q.get_nowait().unwrap()).collect();
    assert_eq!(out, [0, 1, 2, 3, 4]);
}

#[test]
fn lifo_queue_is_lifo() {
    let q = LifoQueue::new(0);
    for i in 0..5 {
        q.put_nowait(i).unwrap();
    }
    let out: Vec<_> = (0..5).map(|_| q.get_nowait().unwrap()).collect();
    assert_eq!(out, [4, 3, 2, 1, 0]);
}

#[test]
fn priority_queue_gives_smallest_first() {
    let q = PriorityQueue::new(0);
    for i in [5, 1, 4, 2, 3] {
        q.put_nowait(i).unwrap();
    }
    let out: Vec<_> = (0..5).map(|_| q.get_nowait().unwrap()).collect();
    assert_eq!(out, [1, 2, 3, 4, 5]);
}

#[test]
fn queue_sizes_report_state() {
    let q = Queue::new(2);
    assert_eq!(q.maxsize(), 2);
    assert!(q.empty() && !q.full());
    q.put_nowait(1).unwrap();
    assert_eq!(q.qsize(), 1);
    q.put_nowait(2).unwrap();
    assert!(q.full() && !q.empty());
}

#[test]
fn queue_maxsize_zero_is_unbounded() {
    let q = Queue::new(0);
    for i in 0..10_000 {
        q.put_nowait(i).unwrap();
    }
    assert!(!q.full());
}

/// A bound too large for the ring's up-front allocation keeps the items in a growing
/// `VecDeque` instead: same order, same bound, no huge allocation.
#[test]
fn queue_with_a_huge_bound_allocates_as_items_come_and_keeps_its_bound() {
    let q = Queue::<u64>::new(usize::MAX);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    assert_eq!((q.get_nowait(), q.get_nowait()), (Ok(1), Ok(2)));

    let big = 100_000; // 1.6 MB of ring slots: past the ring's limit.
    let q = Queue::<u64>::new(big);
    for i in 0..big as u64 {
        q.put_nowait(i).unwrap();
    }
    assert!(q.full());
    assert_eq!(q.put_nowait(7), Err(PutError::Full(7)));
    assert_eq!(q.get_nowait(), Ok(0));
    assert_eq!(q.qsize(), big - 1);
}

/// A store refused as full that brings `unfinished` back to zero (after an early
/// `task_done`) leaves the putter queued with its flag up: the next get refills from it.
#[test]
fn queue_putter_refused_at_a_zero_count_is_still_refilled() {
    let q = Queue::new(1);
    q.put_nowait(1).unwrap();
    q.task_done().unwrap();
    let mut put = Box::pin(q.put(2));
    assert!(poll_once(&mut put).is_pending());
    assert_eq!(q.get_nowait(), Ok(1));
    assert_eq!(poll_once(&mut put), Poll::Ready(Ok(())));
    assert_eq!(q.get_nowait(), Ok(2));
}

/// An item handed to a getter that is dropped after `shutdown(true)` is dropped and counted
/// done, not stored again: nothing outlives the shutdown and `join` returns.
#[test]
fn queue_item_given_back_after_immediate_shutdown_is_dropped_and_done() {
    let counter = DropCounter::default();
    let q = Queue::new(0);
    let mut get = Box::pin(q.get());
    assert!(poll_once(&mut get).is_pending());
    q.put_nowait(counter.make(1)).unwrap();
    q.shutdown(true);
    assert_eq!(counter.drops(), 0, "handed to the getter before the shutdown");
    drop(get);
    assert!(q.empty());
    assert_eq!(counter.drops(), 1);
    assert!(poll_once(&mut q.join()).is_ready());
}

/// Items given back past a bounded ring's room count toward its bound, and come out first.
#[test]
fn queue_items_given_back_count_toward_the_bound_and_come_out_first() {
    let q = Queue::new(2);
    let mut get = Box::pin(q.get());
    assert!(poll_once(&mut get).is_pending());
    q.put_nowait(1).unwrap(); // handed to `get`
    q.put_nowait(2).unwrap();
    q.put_nowait(3).unwrap();
    drop(get); // 1 comes back: three stored, bound two
    assert_eq!(q.qsize(), 3);
    assert!(q.full());
    assert_eq!(q.put_nowait(4), Err(PutError::Full(4)));
    assert_eq!((q.get_nowait(), q.get_nowait(), q.get_nowait()), (Ok(1), Ok(2), Ok(3)));
}

#[test]
fn queue_put_nowait_full_hands_item_back() {
    let q = Queue::new(1);
    q.put_nowait(1).unwrap();
    assert_eq!(q.put_nowait(2), Err(PutError::Full(2)));
}

#[test]
fn queue_get_nowait_empty_errors() {
    let q = Queue::<u8>::new(1);
    assert_eq!(q.get_nowait(), Err(GetError::Empty));
}

#[test]
fn queue_clone_is_same_queue() {
    let q = Queue::new(0);
    q.clone().put_nowait(1).unwrap();
    assert_eq!(q.get_nowait(), Ok(1));
}

#[test]
fn queue_get_waits_and_put_hands_item_to_first_getter() {
    let q = Queue::new(0);
    let (waker, count) = counting_waker();
    let mut g1 = Box::pin(q.get());
    let mut g2 = Box::pin(q.get());
    assert!(poll_with(&mut g1, &waker).is_pending());
    assert!(poll_with(&mut g2, &waker).is_pending());
    q.put_nowait(10).unwrap();
    assert_eq!(count.count(), 1);
    // Handed over: nobody else can take it.
    assert_eq!(q.get_nowait(), Err(GetError::Empty));
    assert!(poll_once(&mut g2).is_pending());
    assert_eq!(poll_once(&mut g1), Poll::Ready(Ok(10)));
}

#[test]
fn queue_put_waits_while_full_and_putters_are_fifo() {
    let q = Queue::new(1);
    q.put_nowait(0).unwrap();
    let mut p1 = Box::pin(q.put(1));
    let mut p2 = Box::pin(q.put(2));
    assert!(poll_once(&mut p1).is_pending());
    assert!(poll_once(&mut p2).is_pending());
    assert_eq!(q.get_nowait(), Ok(0));
    assert_eq!(poll_once(&mut p1), Poll::Ready(Ok(())));
    assert!(poll_once(&mut p2).is_pending());
    assert_eq!(q.get_nowait(), Ok(1));
    assert_eq!(poll_once(&mut p2), Poll::Ready(Ok(())));
    assert_eq!(q.get_nowait(), Ok(2));
}

#[test]
fn queue_getter_dropped_after_wake_loses_no_item() {
    let q = Queue::new(0);
    let mut g1 = Box::pin(q.get());
    let mut g2 = Box::pin(q.get());
    assert!(poll_once(&mut g1).is_pending());
    assert!(poll_once(&mut g2).is_pending());
    q.put_nowait(7).unwrap(); // handed to g1
    drop(g1); // cancelled after the wake: the item goes to g2
    assert_eq!(poll_once(&mut g2), Poll::Ready(Ok(7)));
}

#[test]
fn queue_getter_dropped_after_wake_returns_item_to_front() {
    let q = Queue::new(0);
    let mut g = Box::pin(q.get());
    assert!(poll_once(&mut g).is_pending());
    q.put_nowait(1).unwrap(); // handed to g
    q.put_nowait(2).unwrap(); // stored
    drop(g);
    assert_eq!(q.get_nowait(), Ok(1));
    assert_eq!(q.get_nowait(), Ok(2));
}

#[test]
fn lifo_getter_dropped_after_wake_returns_item_to_bottom() {
    let q = LifoQueue::new(0);
    let mut g = Box::pin(q.get());
    assert!(poll_once(&mut g).is_pending());
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    drop(g);
    assert_eq!(q.get_nowait(), Ok(2));
    assert_eq!(q.get_nowait(), Ok(1));
}

#[test]
fn queue_putter_dropped_while_waiting_does_not_put() {
    let drops = DropCounter::default();
    let q = Queue::new(1);
    q.put_nowait(drops.make(0)).unwrap();
    let mut p = Box::pin(q.put(drops.make(1)));
    assert!(poll_once(&mut p).is_pending());
    drop(p);
    assert_eq!(drops.drops(), 1);
    assert_eq!(q.get_nowait().unwrap().0, 0);
    assert_eq!(q.get_nowait().unwrap_err(), GetError::Empty);
}

#[test]
fn queue_task_done_too_many_errors() {
    let q = Queue::new(0);
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.put_nowait(1).unwrap();
    q.get_nowait().unwrap();
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Err(TaskDoneError));
}

#[test]
fn queue_join_waits_for_every_task_done() {
    let q = Queue::new(0);
    assert!(poll_once(&mut Box::pin(q.join())).is_ready());
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    let mut j = Box::pin(q.join());
    assert!(poll_once(&mut j).is_pending());
    q.get_nowait().unwrap();
    q.get_nowait().unwrap();
    q.task_done().unwrap();
    assert!(poll_once(&mut j).is_pending());
    q.task_done().unwrap();
    assert!(poll_once(&mut j).is_ready());
}

#[test]
fn queue_shutdown_immediate_drains_and_wakes_join() {
    let drops = DropCounter::default();
    let q = Queue::new(0);
    q.put_nowait(drops.make(1)).unwrap();
    q.put_nowait(drops.make(2)).unwrap();
    let mut j = Box::pin(q.join());
    assert!(poll_once(&mut j).is_pending());
    q.shutdown(true);
    assert_eq!(drops.drops(), 2);
    assert_eq!(q.qsize(), 0);
    assert!(poll_once(&mut j).is_ready());
    assert_eq!(q.get_nowait().unwrap_err(), GetError::ShutDown);
}

#[test]
fn queue_shutdown_immediate_counts_only_drained_items_done() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    q.get_nowait().unwrap(); // taken, not yet done
    let mut j = Box::pin(q.join());
    q.shutdown(true);
    assert!(poll_once(&mut j).is_pending());
    q.task_done().unwrap();
    assert!(poll_once(&mut j).is_ready());
}

#[test]
fn queue_shutdown_lets_getters_drain_then_fails() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.shutdown(false);
    assert_eq!(q.get_nowait(), Ok(1));
    assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
    assert_eq!(block_on(q.get()), Err(QueueShutDown));
}

#[test]
fn queue_put_after_shutdown_errors() {
    let q = Queue::new(0);
    q.shutdown(false);
    assert_eq!(q.put_nowait(1), Err(PutError::ShutDown(1)));
    assert_eq!(block_on(q.put(2)), Err(QueueShutDown));
}

#[test]
fn queue_shutdown_wakes_blocked_getters_and_putters() {
    let full = Queue::new(1);
    full.put_nowait(0).unwrap();
    let mut p = Box::pin(full.put(1));
    assert!(poll_once(&mut p).is_pending());
    let empty = Queue::<u8>::new(0);
    let mut g = Box::pin(empty.get());
    let (waker, count) = counting_waker();
    assert!(poll_with(&mut g, &waker).is_pending());
    full.shutdown(false);
    empty.shutdown(false);
    assert_eq!(count.count(), 1);
    assert_eq!(poll_once(&mut p), Poll::Ready(Err(QueueShutDown)));
    assert_eq!(poll_once(&mut g), Poll::Ready(Err(QueueShutDown)));
    // The item already stored is still there for getters.
    assert_eq!(full.get_nowait(), Ok(0));
}

#[test]
fn queue_mpmc_across_threads_loses_nothing() {
    let q = Queue::new(16);
    let producers: Vec<_> = (0..3u64)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for i in 0..3_000 {
                    block_on(q.put(p * 1_000_000 + i)).unwrap();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..3)
        .map(|c| {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                let mut n = 0u64;
                loop {
                    n += 1;
                    if c == 0 && n.is_multiple_of(5) {
                        // A getter cancelled mid-wait must not lose anything.
                        let mut g = Box::pin(q.get());
                        if let Poll::Ready(r) = poll_once(&mut g) {
                            match r {
                                Ok(v) => got.push(v),
                                Err(QueueShutDown) => return got,
                            }
                        }
                        continue;
                    }
                    match block_on(q.get()) {
                        Ok(v) => got.push(v),
                        Err(QueueShutDown) => return got,
                    }
                }
            })
        })
        .collect();
    producers.into_iter().for_each(join);
    while !q.empty() {
        thread::yield_now();
    }
    q.shutdown(false);
    let mut all: Vec<u64> = consumers.into_iter().flat_map(join).collect();
    all.sort();
    let mut want: Vec<u64> = (0..3u64).flat_map(|p| (0..3_000).map(move |i| p * 1_000_000 + i)).collect();
    want.sort();
    assert_eq!(all, want);
}

#[test]
fn queue_errors_are_std_errors() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<QueueShutDown>();
    assert_error::<PutError<String>>();
    assert_error::<GetError>();
    assert_error::<TaskDoneError>();
    assert_eq!(PutError::Full(3).into_inner(), 3);
}

/// Threads hammering a tiny queue through both its lock-free side and its waiters: every
/// producer's items come out in its order, and `join` returns once each was marked done.
#[test]
fn queue_threads_keep_each_producers_order_and_join_sees_every_task_done() {
    const PER: u64 = 5_000;
    let q = Queue::new(2);
    let producers: Vec<_> = (0..2u64)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for i in 0..PER {
                    let v = p * PER + i;
                    // Half the puts lock-free when there is room, half through `put`.
                    if i % 2 == 0 {
                        if let Err(PutError::Full(v)) = q.put_nowait(v) {
                            block_on(q.put(v)).unwrap();
                        }
                    } else {
                        block_on(q.put(v)).unwrap();
                    }
                }
            })
        })
        .collect();
    let consumer = {
        let q = q.clone();
        thread::spawn(move || {
            let mut last = [None::<u64>; 2];
            for _ in 0..2 * PER {
                let v = match q.get_nowait() {
                    Ok(v) => v,
                    Err(_) => block_on(q.get()).unwrap(),
                };
                let p = (v / PER) as usize;
                assert!(last[p].is_none_or(|l| l < v), "producer {p}'s items out of order");
                last[p] = Some(v);
                q.task_done().unwrap();
            }
        })
    };
    producers.into_iter().for_each(join);
    block_on(q.join());
    join(consumer);
    assert!(q.empty());
    assert_eq!(q.task_done(), Err(TaskDoneError));
}
