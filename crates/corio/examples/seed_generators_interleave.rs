//! Seed `003_a5e502bffe1cb357.txt` "异步编程之协程 / 问题引入": two generators
//! `foo1`/`foo2` that `yield` after each print, driven alternately by
//! `next(a); next(b)` — cooperative scheduling in user space; and the
//! event-loop version with `sleep` and `new_sleep` run by
//! `loop.run_until_complete(asyncio.wait(task))`.
//!
//! In corio each "generator" is a task and `yield` is `yield_now()`; on a
//! one-worker runtime they take turns exactly like the seed's loop.
//!
//! Run with `cargo run -p corio --example seed_generators_interleave`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::ReturnWhen;

async fn foo(name: &'static str, log: Arc<Mutex<Vec<String>>>) {
    for i in 0..3 {
        log.lock().unwrap().push(format!("{name}:{i}"));
        corio::yield_now().await; // yield
    }
}

/// `async def new_sleep(x)` (and the old `@asyncio.coroutine def sleep(x)`).
async fn new_sleep(label: &'static str, ms: u64) {
    for i in 0..3 {
        println!("{label}:{i}");
        corio::sleep(Duration::from_millis(ms)).await;
    }
}

fn main() {
    let rt = corio::Builder::new().worker_threads(1).build().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let a = corio::create_task(foo("foo1", log.clone()));
        let b = corio::create_task(foo("foo2", log.clone()));
        let _ = corio::wait([a, b], ReturnWhen::AllCompleted).await;
    });
    println!("{}", log.lock().unwrap().join(" "));

    // task = [sleep(3), new_sleep(3)]; loop.run_until_complete(asyncio.wait(task))
    rt.block_on(async {
        let tasks = [corio::create_task(new_sleep("sleep", 5)), corio::create_task(new_sleep("new sleep", 5))];
        let _ = corio::wait(tasks, ReturnWhen::AllCompleted).await;
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
