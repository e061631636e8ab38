//! Seeds `002_2726b7433830937b.txt` "异步与多线程的结合 / 执行器的选择 / 异步
//! 函数的动态添加" and `004_46b09f09b7115f18.txt` (`run_coroutine_threadsafe`
//! from another thread): a loop running in a child thread, the main thread
//! adding plain functions with `loop.call_soon_threadsafe` and coroutines
//! with `asyncio.run_coroutine_threadsafe`, and blocking functions with
//! `run_in_executor`, gathering the results.
//!
//! Run with `cargo run -p corio --example seed_threadsafe`.

use std::sync::mpsc;
use std::time::Duration;

async fn my_coroutine(n: u32) -> u32 {
    corio::sleep(Duration::from_millis(5)).await;
    println!("Coroutine {n} finished on {:?}", std::thread::current().name());
    n * 10
}

fn blocking(n: u32) -> u32 {
    std::thread::sleep(Duration::from_millis(5));
    n + 100
}

fn main() {
    // The loop lives in its own thread: the runtime's workers. Keeping the
    // Runtime in main (it is Send + Sync) is what `loop` was in the seed.
    let rt = corio::Runtime::new().unwrap();
    let handle = rt.handle();

    // loop.call_soon_threadsafe(f): a plain function, run on the runtime, FIFO.
    let (tx, rx) = mpsc::channel();
    for i in 0..3 {
        let tx = tx.clone();
        let _ = handle.call_soon_threadsafe(move || tx.send(format!("callback {i}")).unwrap());
    }
    for _ in 0..3 {
        println!("{}", rx.recv().unwrap());
    }

    // asyncio.run_coroutine_threadsafe(coro, loop) from a thread that is
    // not the loop's: a concurrent future; .result() blocks this thread.
    let futs: Vec<_> = (1..=3).map(|n| handle.run_coroutine_threadsafe(my_coroutine(n))).collect();
    let results: Vec<u32> = futs.into_iter().map(|f| f.result().unwrap()).collect();
    println!("run_coroutine_threadsafe results: {results:?}");

    // gather(run_coroutine_threadsafe(...), run_in_executor(...)) on the loop.
    let pool = corio::ThreadPool::new(2);
    let (a, b) = rt
        .block_on(async {
            corio::gather!(
                handle.run_coroutine_threadsafe(my_coroutine(7)),
                corio::run_in_executor(&pool, || blocking(1)),
            )
            .await
        })
        .unwrap();
    println!("gathered: {:?} {:?}", a.unwrap(), b.unwrap());

    // Cancel a submitted coroutine from outside.
    let fut = handle.run_coroutine_threadsafe(async { corio::sleep(Duration::from_secs(3600)).await });
    println!("cancelled: {}", fut.cancel());
    println!("result: {:?}", fut.result());
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
