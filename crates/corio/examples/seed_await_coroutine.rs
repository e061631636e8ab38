//! Seed `000_6c219cbf8ab46d13.txt`, "await关键字": `await` a coroutine that
//! sleeps, once and then twice in a row (sequential, not concurrent).
//!
//! Run with `cargo run -p corio --example seed_await_coroutine`.

use std::time::Duration;

/// `async def others()`: prints, sleeps ("I/O"), returns a value.
async fn others() -> &'static str {
    println!("start");
    corio::sleep(Duration::from_millis(20)).await; // await asyncio.sleep(2)
    println!("end");
    "返回值"
}

/// `async def func()`: awaiting suspends `func` until `others` finishes;
/// meanwhile the loop may run other tasks.
async fn func() {
    println!("执行协程函数内部代码");
    let response1 = others().await;
    println!("IO请求结束,结果为: {response1}");
    let response2 = others().await;
    println!("IO请求结束,结果为: {response2}");
}

fn main() {
    // The simplest form first: `response = await asyncio.sleep(2)`.
    corio::run(async {
        println!("来玩呀");
        let response = corio::sleep(Duration::from_millis(10)).await; // gives ()
        println!("结束 {response:?}");
    });
    corio::run(func());
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
