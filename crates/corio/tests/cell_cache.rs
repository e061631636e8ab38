#![cfg(not(corio_loom))]
//! A worker's cache of freed task cells (`Builder::task_cell_cache`,
//! `crates/corio-sched/src/task/cache.rs`): a burst reuses the last burst's
//! cells instead of allocating, the cache stays under its cap, the default
//! cap grows with a burst and comes back down after smaller ones, a cap of
//! zero turns it off, and an idle worker gives everything back.
//!
//! A counting global allocator counts allocations in two size bands that only
//! the cells of [`big`] tasks fall in. The reuse test has a band of its own
//! (`REUSE_CELL`): the other tests run beside it and their bursts would add
//! to its count.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{LIMIT, with_timeout};

struct Counting;

/// Allocations of a size in `BIG_CELL`.
static BIG_ALLOCS: AtomicUsize = AtomicUsize::new(0);
/// Allocations of a size in `REUSE_CELL`.
static REUSE_ALLOCS: AtomicUsize = AtomicUsize::new(0);
/// Allocations of a size in `GROW_CELL`.
static GROW_ALLOCS: AtomicUsize = AtomicUsize::new(0);

/// The sizes a `big::<3_000>` task's cell can have: its future plus the
/// header and trailer. Nothing else these tests do allocates that much at once.
const BIG_CELL: std::ops::Range<usize> = 3_000..3_400;
/// The same for `big::<5_000>`, which only the reuse test spawns.
const REUSE_CELL: std::ops::Range<usize> = 5_000..5_400;
/// The same for `big::<7_000>`, which only the growth test spawns.
const GROW_CELL: std::ops::Range<usize> = 7_000..7_400;

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if BIG_CELL.contains(&layout.size()) {
            BIG_ALLOCS.fetch_add(1, Ordering::Relaxed);
        } else if REUSE_CELL.contains(&layout.size()) {
            REUSE_ALLOCS.fetch_add(1, Ordering::Relaxed);
        } else if GROW_CELL.contains(&layout.size()) {
            GROW_ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// A task whose future holds `N` bytes across an await (its cell's size is
/// in `BIG_CELL` for 3,000, in `REUSE_CELL` for 5,000).
async fn big<const N: usize>(i: usize) -> usize {
    let pad = std::hint::black_box([i as u8; N]);
    corio::sleep(Duration::ZERO).await;
    pad.iter().map(|&b| b as usize).sum::<usize>() / N
}

/// Spawns `n` tasks of `big::<N>` from a task on the worker and awaits them all.
fn burst<const N: usize>(rt: &corio::Runtime, n: usize) {
    let sum = rt.block_on(rt.spawn(async move {
        let tasks: Vec<_> = (0..n).map(|i| corio::spawn(big::<N>(i % 200))).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    }));
    assert_eq!(sum.unwrap(), (0..n).map(|i| i % 200).sum::<usize>());
}

/// Polls `cond` until it holds; fails the test after 10 s instead of hanging.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_second_burst_reuses_the_first_bursts_cells() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(1).build().unwrap();
        burst::<5_000>(&rt, 1_000);
        let before = REUSE_ALLOCS.load(Ordering::Relaxed);
        burst::<5_000>(&rt, 1_000);
        let allocated = REUSE_ALLOCS.load(Ordering::Relaxed) - before;
        // Every cell of the second burst comes from the first (5 MB, under
        // the 16 MiB default cap); a few fresh ones would be tolerable, a
        // thousand is the cache not working.
        assert!(allocated < 50, "the second burst allocated {allocated} of its 1,000 cells afresh");
    });
}

#[test]
fn the_default_cap_grows_to_hold_a_burst_that_outgrew_it_and_comes_back_down() {
    with_timeout(LIMIT, || {
        // 3,000 cells of over 7,000 bytes: 21 MB, past the 16 MiB start.
        let rt = corio::Builder::new().worker_threads(1).build().unwrap();
        let mut rounds = Vec::new();
        // The first burst allocates every cell afresh, so the cap grows to
        // keep them as they are freed; a later burst allocates nothing. Up
        // to six rounds: a worker that parks in the middle of a burst (its
        // tasks wait for a timer) forgets the misses before it, and keeps
        // the rest of the burst's cells in the next round.
        for _ in 0..6 {
            let before = GROW_ALLOCS.load(Ordering::Relaxed);
            burst::<7_000>(&rt, 3_000);
            rounds.push(GROW_ALLOCS.load(Ordering::Relaxed) - before);
            if rounds.last() < Some(&50) {
                break;
            }
            // Let the worker park (and end its burst) before the next one.
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(rounds[0] >= 3_000, "the first burst had cells cached already: {rounds:?}");
        assert!(
            rounds.len() < 6,
            "a burst past the default cap never stopped allocating (fresh cells per round: {rounds:?})"
        );
        // The cache holds the burst, over the 16 MiB it started with.
        wait_until("the cache to hold the whole burst", || rt.handle().metrics().cached_cell_bytes(0) > 16 << 20);
        // Smaller bursts follow, never a second apart (so no idle flush):
        // the parks after them trim the cache back to its 16 MiB base, not
        // to nothing (rule 5).
        wait_until("the cache to come back down to its base", || {
            burst::<7_000>(&rt, 1);
            std::thread::sleep(Duration::from_millis(2));
            rt.handle().metrics().cached_cell_bytes(0) <= 16 << 20
        });
        let cached = rt.handle().metrics().cached_cell_bytes(0);
        assert!(cached > 8 << 20, "trimmed to {cached} bytes: more than what the bursts asked for went back");
    });
}

#[test]
fn a_cap_of_zero_turns_the_cache_off() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(1).task_cell_cache(0).build().unwrap();
        burst::<3_000>(&rt, 200);
        let before = BIG_ALLOCS.load(Ordering::Relaxed);
        burst::<3_000>(&rt, 200);
        let allocated = BIG_ALLOCS.load(Ordering::Relaxed) - before;
        // Other tests' bursts may add to the count, never take from it.
        assert!(allocated >= 200, "with the cache off, 200 tasks took only {allocated} fresh cells");
        // The worker publishes the gauge when it parks after the burst.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(rt.handle().metrics().cached_cell_bytes(0), 0);
    });
}

#[test]
fn the_cache_stays_under_its_cap() {
    with_timeout(LIMIT, || {
        let cap = 64 * 1024;
        let rt = corio::Builder::new().worker_threads(1).task_cell_cache(cap).build().unwrap();
        burst::<3_000>(&rt, 500);
        // The gauge is published at maintenance ticks and parks, so it may
        // first show the cache part-filled; it never shows it over the cap.
        // 500 cells of over 3,000 bytes would be 1.5 MB: the cache fills up
        // to within one cell of the cap and the rest went back.
        wait_until("the cache to fill up to its cap", || {
            let cached = rt.handle().metrics().cached_cell_bytes(0);
            assert!(cached <= cap, "{cached} bytes cached with a cap of {cap}");
            cached > cap - 3_400
        });
    });
}

#[test]
fn an_idle_worker_gives_its_cells_back() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(2).build().unwrap();
        burst::<3_000>(&rt, 500);
        let cached = || (0..2).map(|i| rt.handle().metrics().cached_cell_bytes(i)).sum::<usize>();
        wait_until("the burst's cells to be cached", || cached() > 0);
        // Nothing runs now: within two decay periods (1-2 s) the cache is empty.
        wait_until("the idle workers to give their cells back", || cached() == 0);
        // And the cache works again afterwards.
        burst::<3_000>(&rt, 100);
        wait_until("the new burst's cells to be cached", || cached() > 0);
    });
}

/// A task whose future holds `N` bytes across an await, so its cell's
/// layout differs for every `N`.
async fn sized<const N: usize>() -> usize {
    let pad = std::hint::black_box([1u8; N]);
    corio::sleep(Duration::ZERO).await;
    pad[N - 1] as usize
}

#[test]
fn a_worker_caches_a_few_layouts_and_frees_the_rest() {
    // Ten cell layouts, more than a worker caches: the rest are allocated
    // and freed as without a cache, and every task still runs.
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(1).build().unwrap();
        for _ in 0..3 {
            let total = rt.block_on(rt.spawn(async {
                let tasks = vec![
                    corio::spawn(sized::<8>()),
                    corio::spawn(sized::<100>()),
                    corio::spawn(sized::<200>()),
                    corio::spawn(sized::<300>()),
                    corio::spawn(sized::<400>()),
                    corio::spawn(sized::<500>()),
                    corio::spawn(sized::<600>()),
                    corio::spawn(sized::<700>()),
                    corio::spawn(sized::<800>()),
                    corio::spawn(sized::<900>()),
                ];
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            }));
            assert_eq!(total.unwrap(), 10);
        }
    });
}
