#![cfg(corio_loom)]
//! loom models of the CancellationToken tree.

mod loom_support;

use corio_sync::CancellationToken;
use loom::thread;
use loom_support::block_on;

#[test]
fn token_cancel_vs_child_creation_cancels_child() {
    loom::model(|| {
        let root = CancellationToken::new();
        let r2 = root.clone();
        let t = thread::spawn(move || {
            let child = r2.child_token();
            block_on(child.cancelled());
        });
        root.cancel();
        t.join().unwrap();
    });
}

#[test]
fn token_child_drop_vs_parent_cancel_still_reaches_grandchild() {
    loom::model(|| {
        let root = CancellationToken::new();
        let child = root.child_token();
        let grandchild = child.child_token();
        let t = thread::spawn(move || drop(child));
        root.cancel();
        t.join().unwrap();
        assert!(grandchild.is_cancelled());
        drop(grandchild);
        assert_eq!(root.child_count(), 0);
    });
}

#[test]
fn token_cancel_vs_waiter_never_misses_wakeup() {
    loom::model(|| {
        let t1 = CancellationToken::new();
        let t2 = t1.clone();
        let h = thread::spawn(move || t2.cancel());
        block_on(t1.cancelled());
        h.join().unwrap();
    });
}
