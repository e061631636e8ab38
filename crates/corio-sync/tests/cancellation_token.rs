#![cfg(not(corio_loom))]
//! CancellationToken: cancel, wait, child tree, drop guards, no leak of dropped children.

mod common;

use std::thread;

use common::{block_on, counting_waker, join, poll_once, poll_with};
use corio_sync::CancellationToken;

#[test]
fn token_cancel_sets_flag_and_wakes_waiters() {
    let t = CancellationToken::new();
    let (waker, count) = counting_waker();
    let mut w = Box::pin(t.cancelled());
    assert!(poll_with(&mut w, &waker).is_pending());
    assert!(!t.is_cancelled());
    t.cancel();
    assert!(t.is_cancelled());
    assert_eq!(count.count(), 1);
    assert!(poll_once(&mut w).is_ready());
}

#[test]
fn token_cancelled_after_cancel_is_immediate() {
    let t = CancellationToken::new();
    t.cancel();
    t.cancel(); // idempotent
    assert!(poll_once(&mut Box::pin(t.cancelled())).is_ready());
}

#[test]
fn token_clones_share_state() {
    let t = CancellationToken::new();
    let c = t.clone();
    c.cancel();
    assert!(t.is_cancelled());
}

#[test]
fn token_cancel_from_other_thread_wakes_waiter() {
    let t = CancellationToken::new();
    let t2 = t.clone();
    let h = thread::spawn(move || t2.cancel());
    block_on(t.cancelled());
    join(h);
}

#[test]
fn token_parent_cancel_cancels_all_descendants() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    let mut w = Box::pin(grandchild.cancelled());
    assert!(poll_once(&mut w).is_pending());
    root.cancel();
    assert!(child.is_cancelled() && grandchild.is_cancelled());
    assert!(poll_once(&mut w).is_ready());
}

#[test]
fn token_child_cancel_does_not_cancel_parent() {
    let root = CancellationToken::new();
    let child = root.child_token();
    child.cancel();
    assert!(!root.is_cancelled());
    let sibling = root.child_token();
    assert!(!sibling.is_cancelled());
}

#[test]
fn token_child_of_cancelled_parent_is_cancelled() {
    let root = CancellationToken::new();
    root.cancel();
    assert!(root.child_token().is_cancelled());
}

#[test]
fn token_dropped_middle_node_still_propagates_to_grandchild() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    drop(child);
    assert_eq!(root.child_count(), 1); // the grandchild moved up
    root.cancel();
    assert!(grandchild.is_cancelled());
}

#[test]
fn token_dropped_root_leaves_children_working() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    drop(root);
    child.cancel();
    assert!(grandchild.is_cancelled());
}

#[test]
fn token_child_churn_keeps_parent_bounded() {
    let root = CancellationToken::new();
    let keep: Vec<_> = (0..3).map(|_| root.child_token()).collect();
    for _ in 0..1_000_000 {
        let c = root.child_token();
        let gc = c.child_token();
        drop(c);
        drop(gc);
    }
    assert_eq!(root.child_count(), 3);
    root.cancel();
    assert!(keep.iter().all(CancellationToken::is_cancelled));
    assert_eq!(root.child_count(), 0);
}

#[test]
fn token_child_clones_keep_node_in_tree() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let clone = child.clone();
    drop(child);
    assert_eq!(root.child_count(), 1);
    root.cancel();
    assert!(clone.is_cancelled());
}

#[test]
fn token_drop_guard_cancels_on_drop() {
    let t = CancellationToken::new();
    let g = t.clone().drop_guard();
    assert!(!t.is_cancelled());
    drop(g);
    assert!(t.is_cancelled());
}

#[test]
fn token_drop_guard_disarm_does_not_cancel() {
    let t = CancellationToken::new();
    let back = t.clone().drop_guard().disarm();
    assert!(!t.is_cancelled());
    back.cancel();
    assert!(t.is_cancelled());
}

#[test]
fn token_concurrent_cancel_and_child_creation_cancels_every_child() {
    for _ in 0..200 {
        let root = CancellationToken::new();
        let r2 = root.clone();
        let maker = thread::spawn(move || (0..50).map(|_| r2.child_token()).collect::<Vec<_>>());
        root.cancel();
        let children = join(maker);
        assert!(children.iter().all(CancellationToken::is_cancelled));
    }
}

#[test]
fn token_concurrent_child_drops_and_cancel() {
    let root = CancellationToken::new();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let r = root.clone();
            thread::spawn(move || {
                for _ in 0..5_000 {
                    let c = r.child_token();
                    let g = c.child_token();
                    drop(c);
                    assert!(!g.is_cancelled() || r.is_cancelled());
                }
            })
        })
        .collect();
    threads.into_iter().for_each(join);
    assert_eq!(root.child_count(), 0);
}
