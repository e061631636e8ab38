//! Seed `001_16af2edd1f85fe62.txt` 2.2.3 "当前任务获取 / 所有任务获取":
//! `asyncio.current_task()` in the main coroutine, and `asyncio.all_tasks()`
//! listing ten named tasks plus main, then gathering them.
//!
//! Run with `cargo run -p corio --example seed_current_task_all_tasks`.

use std::time::Duration;

async fn task_coroutine(value: u32) {
    println!("任务 {value} 开始运行");
    corio::sleep(Duration::from_millis(20)).await;
    println!("任务 {value} 结束运行");
}

fn main() {
    corio::run(async {
        println!("主协程已启动");
        // The main future of run/block_on counts as a task.
        let current = corio::current_task().expect("main is a task");
        println!("{current:?}");

        let started: Vec<_> =
            (0..10).map(|i| corio::task::Builder::new().name(format!("任务{i}")).spawn(task_coroutine(i))).collect();
        // await asyncio.sleep(0.1): let the tasks start.
        corio::sleep(Duration::from_millis(5)).await;
        for task in corio::all_tasks() {
            println!("> {}", task.name());
        }
        println!("等待任务完成");
        // gather(*started_tasks): awaiting Tasks gives Result per task.
        for r in corio::gather(started).await.unwrap() {
            r.unwrap();
        }
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
