//! Seeds `000_6c219cbf8ab46d13.txt` "asyncio.wait(task_list, timeout=None)"
//! and `001_16af2edd1f85fe62.txt` 2.2.4 "asyncio.wait函数 / 等待条件设置 /
//! 任务超时": wait for all, for the FIRST_COMPLETED, and with a timeout
//! that returns what is done and cancels nothing.
//!
//! Run with `cargo run -p corio --example seed_wait`.

use std::time::Duration;

use corio::ReturnWhen;

async fn async_task(name: &'static str, ms: u64) -> String {
    println!("任务 {name} 开始,预计耗时 {ms} ms");
    corio::sleep(Duration::from_millis(ms)).await;
    println!("任务 {name} 完成");
    format!("结果 {name}")
}

fn main() {
    corio::run(async {
        // done, pending = await asyncio.wait(task_list, timeout=None)
        let task_list = vec![corio::create_task(async_task("n1", 10)), corio::create_task(async_task("n2", 15))];
        let (done, pending) = corio::wait(task_list, ReturnWhen::AllCompleted).await;
        println!("done: {}, pending: {}", done.len(), pending.len());

        // return_when=FIRST_COMPLETED: the rest keep running, not cancelled.
        let fast = corio::task::Builder::new().name("任务1").spawn(async_task("任务1", 10));
        let slow = corio::task::Builder::new().name("任务2").spawn(async_task("任务2", 40));
        let (done, pending) = corio::wait([fast, slow], ReturnWhen::FirstCompleted).await;
        for mut task in done {
            println!("{}的执行结果:{}", task.name(), task.result().unwrap());
        }
        // await asyncio.wait(pending)
        if !pending.is_empty() {
            let _ = corio::wait(pending, ReturnWhen::AllCompleted).await;
        }

        // timeout=...: what is done by then, and the rest still pending.
        let tasks: Vec<_> = (0..10u64)
            .map(|i| {
                corio::create_task(async move {
                    let ms = (i * 37) % 200; // "random" 0..200 ms
                    corio::sleep(Duration::from_millis(ms)).await;
                    println!("> 任务 {i} 完成,执行时间 {ms} ms");
                })
            })
            .collect();
        let ids: Vec<_> = tasks.iter().map(|t| t.id()).collect();
        let (done, pending) = corio::wait(tasks, ReturnWhen::AllCompleted).timeout(Duration::from_millis(100)).await;
        println!("已完成的任务数量: {}", done.len());
        println!("待处理的任务数量: {}", pending.len());
        for task in &pending {
            println!("- 任务 {}", ids.iter().position(|id| *id == task.id()).unwrap());
        }
        // corio: dropping `pending` here cancels them (asyncio would leave
        // them running until the loop closes).
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
