//! Seed `004_46b09f09b7115f18.txt` "asyncio.Future对象": `loop.create_future()`
//! and a task that sets its result later; awaiting the future waits for it.
//! asyncio's `Future` is corio's `Promise`.
//!
//! Run with `cargo run -p corio --example seed_future`.

use std::time::Duration;

use corio::sync::Promise;

async fn set_after(fut: Promise<String>) {
    corio::sleep(Duration::from_millis(20)).await;
    fut.set_result("6666".to_string()).unwrap();
}

fn main() {
    corio::run(async {
        // fut = loop.create_future()
        let fut = corio::create_future::<String>();
        // await loop.create_task(set_after(fut))
        corio::create_task(set_after(fut.clone())).await.unwrap();
        // data = await fut
        let data = fut.await.unwrap();
        println!("{data}");
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
