#![cfg(not(corio_loom))]
//! Fairness: two tasks waking each other forever (through the LIFO slot)
//! starve neither the local queue nor the global (injector) queue.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Counter, LIMIT, runtime, with_timeout};

/// Spawns two tasks that wake each other until `stop` is set, failing if
/// that takes more than `max_rounds`. With `stopper_at`, the first player
/// spawns, at that round, a task that sets `stop`: it lands in the worker's
/// queue behind the ping-pong. Returns the players' handles.
fn ping_pong(
    stop: &Arc<AtomicBool>,
    max_rounds: usize,
    stopper_at: Option<usize>,
) -> (corio::Task<usize>, corio::Task<usize>) {
    let (a_turn, b_turn) = (Counter::new(), Counter::new());
    let player = move |mine: Arc<Counter>, theirs: Arc<Counter>, stop: Arc<AtomicBool>, first: bool| async move {
        let mut round = 0;
        loop {
            if first {
                if Some(round) == stopper_at {
                    let s = stop.clone();
                    corio::create_task(async move { s.store(true, Ordering::SeqCst) }).detach();
                }
                theirs.bump();
            }
            round += 1;
            mine.reach(round).await;
            if !first {
                theirs.bump();
            }
            if stop.load(Ordering::SeqCst) {
                // Let the partner see the stop too.
                theirs.bump();
                return round;
            }
            assert!(round < max_rounds, "starved: the other task never ran");
        }
    };
    let a = corio::create_task(player(a_turn.clone(), b_turn.clone(), stop.clone(), true));
    let b = corio::create_task(player(b_turn, a_turn, stop.clone(), false));
    (a, b)
}

#[test]
fn tasks_waking_each_other_do_not_starve_the_local_queue() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        rt.block_on(rt.spawn(async {
            let stop = Arc::new(AtomicBool::new(false));
            let (a, b) = ping_pong(&stop, 100_000, Some(10));
            a.await.unwrap();
            b.await.unwrap();
        }))
        .unwrap();
    });
}

#[test]
fn tasks_waking_each_other_do_not_starve_the_global_queue() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let players = rt.spawn(async move {
            let (a, b) = ping_pong(&s, 1_000_000, None);
            a.await.unwrap();
            b.await.unwrap();
        });
        // Spawned from this (foreign) thread: goes through the injector
        // while the only worker is busy with the ping-pong.
        let s = stop.clone();
        let remote = rt.handle().spawn(async move { s.store(true, Ordering::SeqCst) });
        rt.block_on(async {
            remote.await.unwrap();
            players.await.unwrap();
        });
    });
}
