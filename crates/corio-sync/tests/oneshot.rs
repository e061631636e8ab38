#![cfg(not(corio_loom))]
//! oneshot: one value, one sender, one receiver; blocking receive; closed notification.

mod common;

use std::task::Poll;
use std::thread;

use common::{DropCounter, block_on, counting_waker, join, poll_once, poll_with};
use corio_sync::oneshot::{self, RecvError, TryRecvError};

#[test]
fn oneshot_send_then_await_gives_value() {
    let (tx, rx) = oneshot::channel();
    tx.send(5).unwrap();
    assert_eq!(block_on(rx), Ok(5));
}

#[test]
fn oneshot_await_before_send_is_woken_by_send() {
    let (tx, mut rx) = oneshot::channel();
    let (waker, count) = counting_waker();
    assert!(poll_with(&mut rx, &waker).is_pending());
    tx.send(1).unwrap();
    assert_eq!(count.count(), 1);
    assert_eq!(poll_once(&mut rx), Poll::Ready(Ok(1)));
}

#[test]
fn oneshot_only_latest_waker_is_woken() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    let (w1, c1) = counting_waker();
    let (w2, c2) = counting_waker();
    assert!(poll_with(&mut rx, &w1).is_pending());
    assert!(poll_with(&mut rx, &w2).is_pending());
    drop(tx);
    assert_eq!((c1.count(), c2.count()), (0, 1));
    assert_eq!(poll_once(&mut rx), Poll::Ready(Err(RecvError)));
}

#[test]
fn oneshot_sender_dropped_gives_recv_error() {
    let (tx, rx) = oneshot::channel::<u8>();
    drop(tx);
    assert_eq!(block_on(rx), Err(RecvError));
}

#[test]
fn oneshot_send_to_dropped_receiver_hands_value_back() {
    let (tx, rx) = oneshot::channel();
    drop(rx);
    assert_eq!(tx.send(3), Err(3));
}

#[test]
fn oneshot_try_recv_empty_then_value_then_closed() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(9).unwrap();
    assert_eq!(rx.try_recv(), Ok(9));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn oneshot_try_recv_closed_when_sender_dropped() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn oneshot_recv_blocking_works_on_plain_thread() {
    let (tx, rx) = oneshot::channel();
    let h = thread::spawn(move || rx.recv_blocking());
    thread::sleep(std::time::Duration::from_millis(5));
    tx.send(String::from("hi")).unwrap();
    assert_eq!(join(h), Ok(String::from("hi")));
}

#[test]
fn oneshot_recv_blocking_errors_when_sender_dropped() {
    let (tx, rx) = oneshot::channel::<u8>();
    let h = thread::spawn(move || rx.recv_blocking());
    drop(tx);
    assert_eq!(join(h), Err(RecvError));
}

#[test]
fn oneshot_closed_resolves_when_receiver_dropped() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    assert!(!tx.is_closed());
    let h = thread::spawn(move || {
        block_on(tx.closed());
        tx.is_closed()
    });
    thread::sleep(std::time::Duration::from_millis(5));
    drop(rx);
    assert!(join(h));
}

#[test]
fn oneshot_unreceived_value_is_dropped_once() {
    let drops = DropCounter::default();
    let (tx, rx) = oneshot::channel();
    tx.send(drops.make(1)).unwrap();
    assert_eq!(drops.drops(), 0);
    drop(rx);
    assert_eq!(drops.drops(), 1);

    let (tx, rx) = oneshot::channel();
    drop(rx);
    let back = tx.send(drops.make(2)).unwrap_err();
    assert_eq!(drops.drops(), 1);
    drop(back);
    assert_eq!(drops.drops(), 2);
}

#[test]
fn oneshot_ping_pong_across_threads() {
    let rounds = 2_000;
    let (to_b_tx, to_b_rx) = std::sync::mpsc::channel::<oneshot::Sender<u32>>();
    let b = thread::spawn(move || {
        for _ in 0..rounds {
            let reply = to_b_rx.recv().unwrap();
            reply.send(0).unwrap();
        }
    });
    for i in 0..rounds {
        let (tx, rx) = oneshot::channel();
        to_b_tx.send(tx).unwrap();
        assert_eq!(block_on(rx), Ok(0), "round {i}");
    }
    join(b);
}

#[test]
fn oneshot_halves_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<oneshot::Sender<u8>>();
    assert_send_sync::<oneshot::Receiver<u8>>();
}
