//! Seed `000_6c219cbf8ab46d13.txt` "asynico.Future对象" (sic):
//! `loop.create_future()` and a task that sets its result later; awaiting
//! the future waits for it. asyncio's `Future` is corio's `Promise`.
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
