//! Seed `004_46b09f09b7115f18.txt` "异步机制结合多线程 / 新线程中运行
//! asyncio.run() 的坑 / 事件循环的嵌套执行": an event loop in a new thread —
//! `new_event_loop`, `run_until_complete(gather(coro1(), coro2()))`, then
//! coro3 and coro4 one after the other, then `create_task` + `run_forever`
//! until `loop.stop()`, then `loop.close()`; a task created inside a
//! coroutine (coro4 → coro5) that keeps running after `run_until_complete`
//! returns.
//!
//! corio has no `run_forever`: "run until stopped" is `block_on` of an
//! `Event` that `stop` sets. A corio runtime also runs its tasks with no
//! one in `block_on` — the workers are its loop.
//!
//! Run with `cargo run -p corio --example seed_runtime_in_thread`.

use std::sync::Arc;
use std::time::Duration;

use corio::sync::Event;

async fn coro(name: &str) {
    corio::sleep(Duration::from_millis(5)).await;
    println!("{name} finished");
}

/// `async def coro4(loop): loop.create_task(coro5())` — coro5 outlives it.
async fn coro4_spawning_coro5() {
    corio::create_task(coro("coro5")).detach();
    println!("coro4 finished");
}

fn start_ws_own_listener() {
    // loop = asyncio.new_event_loop(); asyncio.set_event_loop(loop)
    let rt = corio::Runtime::new().expect("cannot start a runtime in this thread");

    // Concurrently: loop.run_until_complete(asyncio.gather(coro1(), coro2()))
    // (gather! spawns when evaluated, so it is evaluated inside the loop.)
    rt.block_on(async { corio::gather!(coro("coro1"), coro("coro2")).await }).unwrap();
    // Sequentially: run_until_complete(coro3()); run_until_complete(coro4())
    rt.block_on(coro("coro3"));
    rt.block_on(coro4_spawning_coro5());

    // loop.create_task(coro3()); loop.create_task(coro4()); loop.run_forever()
    let stop = Arc::new(Event::new());
    let t3 = rt.spawn(coro("coro3 (task)"));
    let s = stop.clone();
    let t4 = rt.spawn(async move {
        coro("coro4 (task)").await;
        s.set(); // loop.stop()
    });
    rt.block_on(stop.wait()); // loop.run_forever()
    rt.block_on(async {
        let _ = t3.await;
        let _ = t4.await;
    });
    // loop.close(): tasks still alive are cancelled, destructors run.
    rt.shutdown_timeout(Duration::from_secs(1));
}

fn main() {
    // threading.Thread(target=start_ws_own_listener).start()
    std::thread::spawn(start_ws_own_listener).join().unwrap();

    // The simpler form: asyncio.run(my_coroutine()) in a new thread —
    // corio::run works on any thread (asyncio needs a loop per thread).
    std::thread::spawn(|| corio::run(coro("my_coroutine"))).join().unwrap();
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
