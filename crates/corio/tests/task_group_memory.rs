//! A live TaskGroup must not keep its finished children: a long-lived group
//! fed through a handle (a supervisor, a server) would otherwise grow
//! without bound. Its own test binary, because it counts every allocation of
//! the process (other tests running in parallel would blur the count).
#![cfg(not(corio_loom))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{LIMIT, with_timeout};

// ---------------------------------------------------------------------------
// task_group.rs: `State::refs` keeps a TaskRef to every child ever created
// (and ReadySet keeps a waker per child) until the group is joined/dropped,
// so a long-lived group fed through a handle retains every finished child's
// task cell: memory grows without bound with the number of children, even
// for T = (). asyncio's TaskGroup discards finished tasks.
// ---------------------------------------------------------------------------

mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicIsize, Ordering};

    pub struct Counting;
    pub static LIVE: AtomicIsize = AtomicIsize::new(0);

    // SAFETY: every call is forwarded to the system allocator unchanged;
    // the counter is only bookkeeping.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            LIVE.fetch_add(l.size() as isize, Ordering::SeqCst);
            // SAFETY: same contract as ours.
            unsafe { System.alloc(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            LIVE.fetch_sub(l.size() as isize, Ordering::SeqCst);
            // SAFETY: same contract as ours.
            unsafe { System.dealloc(p, l) }
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            LIVE.fetch_add(new as isize - l.size() as isize, Ordering::SeqCst);
            // SAFETY: same contract as ours.
            unsafe { System.realloc(p, l, new) }
        }
    }
}

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

#[test]
fn a_task_group_does_not_keep_its_finished_children() {
    with_timeout(LIMIT, || {
        // The workers' cache of freed task cells (`Builder::task_cell_cache`)
        // holds freed memory on purpose, bounded; off here, so what the count
        // sees retained is the group's.
        let rt = corio::Builder::new().worker_threads(2).task_cell_cache(0).build().unwrap();
        rt.block_on(async {
            let mut tg = corio::TaskGroup::<(), ()>::new();
            let handle = tg.handle();
            // A long-lived supervisor child keeps the group open (a server).
            let (stop_tx, stop_rx) = corio::sync::oneshot::channel::<()>();
            tg.create_task(async move {
                let _ = stop_rx.await;
                Ok(())
            });
            let joiner = corio::create_task(tg.join());
            let finished = Arc::new(AtomicUsize::new(0));
            let run_batch = |n: usize| {
                let handle = handle.clone();
                let finished = finished.clone();
                async move {
                    let target = finished.load(Ordering::SeqCst) + n;
                    for _ in 0..n {
                        let f = finished.clone();
                        handle
                            .create_task(async move {
                                f.fetch_add(1, Ordering::SeqCst);
                                Ok(())
                            })
                            .unwrap();
                    }
                    common::yield_until(|| finished.load(Ordering::SeqCst) >= target).await;
                    // Let join take the finished tasks.
                    for _ in 0..100 {
                        corio::yield_now().await;
                    }
                }
            };
            run_batch(1_000).await;
            // `join` takes finished children asynchronously; a batch measured
            // while it is still catching up looks bigger than it is. A real
            // retention shows in every batch, so the smallest one counts.
            let mut per_child = isize::MAX;
            for _ in 0..3 {
                let before = counting::LIVE.load(Ordering::SeqCst);
                run_batch(20_000).await;
                let after = counting::LIVE.load(Ordering::SeqCst);
                per_child = per_child.min((after - before) / 20_000);
            }
            drop(handle);
            let _ = stop_tx.send(());
            joiner.await.unwrap().unwrap();
            // `join` returns every value in creation order, so the group keeps
            // one entry per child for its value and its task (two words with
            // Vec growth slack) and the ready set's 16-byte waker slot (in
            // chunks that at least double: up to 2× spare), ~40–70 B in all.
            // Keeping the finished task cells and wakers themselves cost
            // ~200 B per child.
            assert!(
                per_child < 96,
                "a live TaskGroup retains ~{per_child} bytes per finished child (grows without bound)"
            );
        })
    });
}
