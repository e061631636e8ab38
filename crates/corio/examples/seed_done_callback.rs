//! Seed `001_16af2edd1f85fe62.txt` 2.2.2 "任务的回调函数": `add_done_callback`
//! (a plain function, run when the task ends) and `remove_done_callback`;
//! also seed `002_2726b7433830937b.txt`: a callback that stops the loop.
//!
//! Run with `cargo run -p corio --example seed_done_callback`.

use std::sync::Arc;
use std::time::Duration;

async fn my_coroutine() -> &'static str {
    println!("开始任务");
    corio::sleep(Duration::from_millis(10)).await;
    println!("任务完成");
    "任务完成"
}

fn main() {
    corio::run(async {
        let task = corio::create_task(my_coroutine());
        // def my_callback(task): print(...) — it gets a TaskRef; the result
        // itself stays with whoever holds the Task (awaited below).
        task.add_done_callback(|t| println!("回调函数被调用: {} done={}", t.name(), t.done()));
        let removed = task.add_done_callback(|_| println!("never printed"));
        assert!(task.remove_done_callback(removed));
        let result = task.await.unwrap();
        println!("任务的返回结果是: {result}");

        // A callback that stops a "run_forever" loop (seed 002): the main
        // future waits on an Event the callback sets.
        let stop = Arc::new(corio::sync::Event::new());
        let s = stop.clone();
        let task = corio::create_task(my_coroutine());
        task.add_done_callback(move |_| s.set()); // loop.stop()
        task.detach();
        stop.wait().await; // loop.run_forever()
        println!("loop stopped by the done callback");
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
