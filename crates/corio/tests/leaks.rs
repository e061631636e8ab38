#![cfg(not(corio_loom))]
//! Nothing leaks: after a runtime and everything made with it are gone, the
//! heap is back where it started. A counting global allocator measures live
//! bytes; this binary holds a single test so nothing else allocates
//! meanwhile.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use common::{LIMIT, never, with_timeout};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes a scenario may leave behind (thread bookkeeping, lazily made
/// statics); a leak of one cell per task is far above it.
const SLACK: isize = 64 * 1024;

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// Runs `scenario` and waits (bounded) for the heap to come back to where it
/// was; exited threads free their last bits shortly after they end.
fn assert_no_leak(name: &str, scenario: impl FnOnce()) {
    let before = live();
    scenario();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let grown = live() - before;
        if grown <= SLACK {
            return;
        }
        assert!(Instant::now() < deadline, "{name}: {grown} bytes still allocated after the runtime is gone");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn rt() -> corio::Runtime {
    rt_with(2)
}

fn rt_with(workers: usize) -> corio::Runtime {
    corio::Builder::new().worker_threads(workers).blocking_keep_alive(Duration::from_millis(1)).build().unwrap()
}

const N: usize = 10_000;

#[test]
fn nothing_leaks_once_the_runtime_and_its_handles_are_gone() {
    with_timeout(LIMIT, || {
        // Warm-up: lazily initialised statics and thread-locals.
        {
            let rt = rt();
            rt.block_on(async { corio::create_task(async {}).await.unwrap() });
            rt.block_on(async { corio::to_thread(|| ()).await.unwrap() });
        }
        std::thread::sleep(Duration::from_millis(20));

        assert_no_leak("spawn and await", || {
            let rt = rt();
            rt.block_on(async {
                for i in 0..N {
                    assert_eq!(corio::create_task(async move { vec![i; 4] }).await.unwrap()[0], i);
                }
            });
        });

        assert_no_leak("detached tasks that finish", || {
            let rt = rt();
            for i in 0..N {
                rt.spawn(async move { vec![i; 4] }).detach();
            }
            rt.block_on(async {
                common::yield_until(|| corio::all_tasks().len() <= 1).await;
            });
        });

        assert_no_leak("pending tasks at shutdown", || {
            let rt = rt();
            for _ in 0..N {
                let data = vec![0u8; 16];
                rt.spawn(async move {
                    let _data = data;
                    never().await;
                })
                .detach();
            }
        });

        assert_no_leak("tasks queued on a single worker at shutdown", || {
            let rt = rt_with(1);
            let (tx, rx) = std::sync::mpsc::channel();
            rt.spawn(async move {
                for _ in 0..N {
                    let data = vec![0u8; 16];
                    corio::create_task(async move { drop(data) }).detach();
                }
                tx.send(()).unwrap();
                // The only worker is busy while the runtime shuts down: the
                // children are still in its private queue when it exits.
                std::thread::sleep(Duration::from_millis(50));
                never().await
            })
            .detach();
            rx.recv().unwrap();
            drop(rt);
        });

        assert_no_leak("handles held across shutdown", || {
            let rt = rt();
            let tasks: Vec<_> = (0..N).map(|_| rt.spawn(never())).collect();
            drop(rt);
            drop(tasks);
        });

        assert_no_leak("finished outputs never taken", || {
            let rt = rt();
            let tasks: Vec<_> = (0..N).map(|i| rt.spawn(async move { vec![i; 4] })).collect();
            common::wait_until(|| tasks.iter().all(|t| t.done()));
            drop(tasks);
        });

        assert_no_leak("cancel before the first poll", || {
            let rt = rt();
            rt.block_on(rt.spawn(async {
                for _ in 0..N {
                    let t = corio::create_task(async { vec![1u8; 16] });
                    t.cancel();
                    // Nearly always cancelled unpolled; but should the OS stall
                    // this worker for a LIFO watch period, the parked worker
                    // rescues the child from its slot and may run it first.
                    if let Err(e) = t.await {
                        assert!(e.is_cancelled(), "{e}");
                    }
                }
            }))
            .unwrap();
        });

        // The default panic hook may capture and symbolize a backtrace
        // (RUST_BACKTRACE=1), and std caches the debug info it loads for
        // that forever: silence the hook so only corio's memory is counted.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        assert_no_leak("panicking tasks", || {
            let rt = rt();
            rt.block_on(async {
                for _ in 0..100 {
                    let t = corio::create_task(async { panic!("leak check panic") });
                    assert!(t.await.unwrap_err().is_panic());
                }
            });
        });
        std::panic::set_hook(hook);

        assert_no_leak("done callbacks and task refs", || {
            let rt = rt();
            rt.block_on(async {
                for _ in 0..N / 10 {
                    let t = corio::create_task(async {});
                    let r = t.task_ref();
                    t.add_done_callback(move |me| assert_eq!(me.id(), r.id()));
                    let removed = t.add_done_callback(|_| {});
                    t.remove_done_callback(removed);
                    t.await.unwrap();
                }
                let _refs = corio::all_tasks();
            });
        });

        assert_no_leak("to_thread", || {
            let rt = rt();
            rt.block_on(async {
                for i in 0..1_000 {
                    assert_eq!(corio::to_thread(move || vec![i; 4]).await.unwrap()[0], i);
                }
            });
            drop(rt);
            // Idle blocking threads leave after their 1 ms keep-alive.
            std::thread::sleep(Duration::from_millis(50));
        });

        assert_no_leak("run", || {
            let out = corio::run(async {
                corio::create_task(never()).detach();
                corio::create_task(async { 1 }).await.unwrap()
            });
            assert_eq!(out, 1);
        });
    });
}
