#![cfg(corio_loom)]
//! loom models of the oneshot state word: send / drop / recv / close in every interleaving.

mod loom_support;

use std::pin::Pin;
use std::task::Poll;

use corio_sync::oneshot::{self, RecvError};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use loom_support::{block_on, poll_once};

#[test]
fn oneshot_send_vs_recv_delivers_value() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel();
        let t = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(rx), Ok(7));
        t.join().unwrap();
    });
}

#[test]
fn oneshot_send_vs_rewaking_recv_never_misses_wakeup() {
    loom::model(|| {
        let (tx, mut rx) = oneshot::channel();
        let t = thread::spawn(move || tx.send(7).unwrap());
        // First poll registers a different waker; block_on then swaps it (the unset/set path).
        if let Poll::Ready(v) = poll_once(Pin::new(&mut rx)) {
            assert_eq!(v, Ok(7));
        } else {
            assert_eq!(block_on(rx), Ok(7));
        }
        t.join().unwrap();
    });
}

#[test]
fn oneshot_sender_drop_vs_recv_gives_error() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || drop(tx));
        assert_eq!(block_on(rx), Err(RecvError));
        t.join().unwrap();
    });
}

struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn oneshot_send_vs_receiver_drop_drops_value_exactly_once() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel();
        let value = Tracked(drops.clone());
        let t = thread::spawn(move || {
            // Either delivered (and dropped with the receiver) or handed back here.
            let _ = tx.send(value);
        });
        drop(rx);
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn oneshot_closed_vs_receiver_drop_wakes_sender() {
    loom::model(|| {
        let (mut tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || {
            block_on(tx.closed());
            assert!(tx.is_closed());
        });
        drop(rx);
        t.join().unwrap();
    });
}

#[test]
fn oneshot_recv_blocking_vs_send_unparks_receiver() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel();
        let t = thread::spawn(move || tx.send(1).unwrap());
        assert_eq!(rx.recv_blocking(), Ok(1));
        t.join().unwrap();
    });
}
