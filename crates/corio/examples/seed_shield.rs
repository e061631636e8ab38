//! Seed `001_16af2edd1f85fe62.txt` 2.2.5 "asyncio任务保护": the three shield
//! demos — cancelling the shield leaves the task running; cancelling the
//! task cancels the shield; a helper cancels the shield while main awaits it.
//!
//! In corio, "cancelling the shield" is dropping it (that is what happens
//! when its awaiter is cancelled or times out).
//!
//! Run with `cargo run -p corio --example seed_shield`.

use std::time::Duration;

async fn coro() {
    println!("任务开始");
    corio::sleep(Duration::from_millis(30)).await;
    println!("任务完成");
}

async fn simple_task(number: u32) -> u32 {
    corio::sleep(Duration::from_millis(50)).await;
    number
}

fn main() {
    corio::run(async {
        // Demo 1: shield.cancel() does not reach the inner task.
        let task = corio::create_task(coro());
        let probe = task.task_ref();
        let shield = corio::shield(task);
        drop(shield); // shield.cancel()
        while !probe.done() {
            corio::sleep(Duration::from_millis(5)).await; // the task completes
        }
        println!("demo 1: inner cancelled? {}", probe.cancelled());

        // Demo 2: task.cancel() cancels the shield too.
        let task = corio::create_task(coro());
        let inner = task.task_ref();
        let shield = corio::shield(task);
        inner.cancel();
        if let Err(e) = shield.await {
            println!("任务被取消 ({e})");
        }

        // Demo 3: another task "cancels the shield" after 10 ms: here, a
        // wait_for around the shield gives up (the awaiter is cancelled),
        // while the shielded task finishes anyway.
        let task = corio::create_task(simple_task(1));
        let inner = task.task_ref();
        match corio::wait_for(corio::shield(task), Duration::from_millis(10)).await {
            Ok(result) => println!(">获得: {}", result.unwrap()),
            Err(_) => println!("任务已被取消 (the awaiting side gave up)"),
        }
        corio::sleep(Duration::from_millis(80)).await;
        println!("任务: done={} cancelled={}", inner.done(), inner.cancelled());
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
