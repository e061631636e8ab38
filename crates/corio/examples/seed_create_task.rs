//! Seeds `000_6c219cbf8ab46d13.txt` "Task对象" and `001_16af2edd1f85fe62.txt`
//! 2.2.1 "任务的创建 / 任务的运行": `asyncio.create_task` schedules a coroutine
//! at once; `await task` collects its result. Also `loop.create_task` +
//! `run_until_complete(task)`, and task names (`name=`, `set_name`).
//!
//! Run with `cargo run -p corio --example seed_create_task`.

use std::time::Duration;

async fn func() -> &'static str {
    println!("1");
    corio::sleep(Duration::from_millis(20)).await;
    println!("2");
    "返回值"
}

async fn my_coroutine(name: &str) {
    println!("任务 {name} 开始执行");
    corio::sleep(Duration::from_millis(10)).await;
    println!("任务 {name} 完成");
}

fn main() {
    corio::run(async {
        println!("main开始");
        // Both tasks start running now, concurrently (on the workers).
        // corio: keep the Task — dropping it cancels the task.
        let task1 = corio::create_task(func());
        let task2 = corio::create_task(func());
        println!("main结束");
        let ret1 = task1.await.unwrap();
        let ret2 = task2.await.unwrap();
        println!("{ret1} {ret2}");

        // create_task(coro, name='task'); task.set_name('MyTask')
        let task = corio::task::Builder::new().name("task").spawn(my_coroutine("named"));
        task.set_name("MyTask");
        println!("task name: {}", task.name());
        task.await.unwrap();
    });

    // loop = get_event_loop(); task = loop.create_task(coro); loop.run_until_complete(task)
    println!("任务创建之前");
    let rt = corio::Runtime::new().unwrap();
    let task = rt.spawn(my_coroutine("A"));
    println!("任务创建之后,任务已加入事件循环");
    rt.block_on(task).unwrap();
    drop(rt); // loop.close()
    println!("事件循环已关闭");
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
