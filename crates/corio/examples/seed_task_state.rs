//! Seed `001_16af2edd1f85fe62.txt` 2.2.2 "任务完成与取消 / 任务结果获取 /
//! 任务异常处理": `done()`, `cancel()` then awaiting the cancelled task,
//! `cancelled()`, `result()`, and `exception()` for a task that raised.
//!
//! Run with `cargo run -p corio --example seed_task_state`.

use std::time::Duration;

use corio::TaskError;

async fn task_completed() {
    println!("任务1正在执行");
    corio::sleep(Duration::from_millis(10)).await;
    println!("任务1完成");
}

async fn task_cancelled() {
    println!("任务2正在执行");
    corio::sleep(Duration::from_millis(200)).await;
    println!("任务2完成");
}

async fn faulty_coroutine() {
    // Rust futures signal errors with Result; an uncaught *exception* is a panic.
    panic!("协程中发生了错误。");
}

fn main() {
    corio::run(async {
        let task1 = corio::create_task(task_completed());
        let mut task2 = corio::create_task(task_cancelled());
        let probe1 = task1.task_ref();
        task1.await.unwrap();
        task2.cancel();
        // try: await task2  except CancelledError: pass
        if let Err(TaskError::Cancelled(_)) = (&mut task2).await {}
        if probe1.done() {
            println!("任务1已完成");
        }
        if task2.cancelled() {
            println!("任务2已取消");
        }
        // task.result() on a cancelled task: CancelledError
        println!("result(): {:?}", task2.result());

        // result() before the task is done: InvalidStateError
        let mut t = corio::create_task(corio::sleep(Duration::from_millis(5)));
        println!("too early: {:?}", t.result());
        if !t.done() {
            (&mut t).await.unwrap();
        }

        // exception(): the panic payload, with its message.
        let task = corio::create_task(faulty_coroutine());
        if let Err(TaskError::Panicked(p)) = task.await {
            println!("任务异常: {}", p.message().unwrap_or_default());
        }
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
