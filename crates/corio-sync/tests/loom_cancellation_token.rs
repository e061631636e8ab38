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

/// Rule 4 (re-parenting) racing `child_token` on the node being moved: the new grandchild is
/// added under the leaf wherever the leaf hangs, and the root's cancel reaches both.
#[test]
fn token_reparenting_vs_child_token_on_the_moved_node_keeps_it_reachable() {
    loom::model(|| {
        let root = CancellationToken::new();
        let mid = root.child_token();
        let leaf = mid.child_token();
        let t = thread::spawn(move || drop(mid));
        let grand = leaf.child_token();
        t.join().unwrap();
        assert_eq!(root.child_count(), 1, "the leaf moved up to the root");
        assert_eq!(leaf.child_count(), 1);
        root.cancel();
        assert!(leaf.is_cancelled());
        assert!(grand.is_cancelled());
    });
}

/// Rule 4 (re-parenting) racing `child_token` on the parent that receives the moved children:
/// neither the new child nor the moved one is lost, and the root's cancel reaches both.
#[test]
fn token_reparenting_vs_child_token_on_the_new_parent_loses_no_child() {
    loom::model(|| {
        let root = CancellationToken::new();
        let mid = root.child_token();
        let leaf = mid.child_token();
        let r2 = root.clone();
        let t = thread::spawn(move || r2.child_token());
        drop(mid);
        let sibling = t.join().unwrap();
        assert_eq!(root.child_count(), 2, "the moved leaf and the new child");
        root.cancel();
        assert!(leaf.is_cancelled());
        assert!(sibling.is_cancelled());
        assert_eq!(root.child_count(), 0);
    });
}
