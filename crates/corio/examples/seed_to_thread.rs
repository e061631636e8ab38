//! Seed `001_16af2edd1f85fe62.txt` 2.2.6 "asyncio中运行阻塞任务":
//! `asyncio.to_thread(blocking_task)` made into a task, `await
//! asyncio.sleep(0)` to let it start, then awaited; and
//! `loop.run_in_executor(None, task)` / with an explicit executor.
//!
//! Run with `cargo run -p corio --example seed_to_thread`.

use std::time::Duration;

fn blocking_task() {
    println!("任务开始");
    std::thread::sleep(Duration::from_millis(20)); // time.sleep(2): blocks this thread only
    println!("任务完成");
}

fn main() {
    corio::run(async {
        println!("主协程正在执行阻塞任务");
        // coro = asyncio.to_thread(blocking_task); task = create_task(coro)
        let task = corio::to_thread(blocking_task);
        println!("主协程正在做其他事情");
        corio::yield_now().await; // await asyncio.sleep(0)
        task.await.unwrap();

        // await loop.run_in_executor(None, task): the runtime's own pool.
        corio::to_thread(blocking_task).await.unwrap();

        // with ThreadPoolExecutor() as exe: await loop.run_in_executor(exe, task)
        let exe = corio::ThreadPool::new(2);
        corio::run_in_executor(&exe, blocking_task).await.unwrap();
        drop(exe); // the pool shuts down (queued jobs would still finish)
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
