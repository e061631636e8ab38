//! Seed `001_16af2edd1f85fe62.txt` 2.2.4 "单个任务等待": `asyncio.wait_for`
//! with a timeout shorter than the task; on timeout the task is cancelled
//! and `TimeoutError` raised.
//!
//! Run with `cargo run -p corio --example seed_wait_for`.

use std::time::Duration;

async fn task_coro(_arg: u32) {
    let value = 100 + 37; // "1 + random()" seconds, scaled down to ms
    println!(">任务接收到 {value}");
    corio::sleep(Duration::from_millis(value)).await;
    println!(">任务完成");
}

fn main() {
    corio::run(async {
        match corio::wait_for(task_coro(1), Duration::from_millis(20)).await {
            Ok(()) => println!("任务按时完成"),
            // The inner future has been dropped (cancelled) by now.
            Err(corio::TimeoutError) => println!("放弃等待,任务已取消"),
        }
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
