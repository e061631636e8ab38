//! Seed `004_46b09f09b7115f18.txt` "使用示例": `async def hello()` prints,
//! sleeps a second, prints again; `main` awaits it; `asyncio.run(main())`.
//! (Its "run_async" from Tortoise ORM is just `asyncio.run` here.)
//!
//! Run with `cargo run -p corio --example seed_hello_world`.

use std::time::Duration;

async fn hello() {
    println!("Hello");
    corio::sleep(Duration::from_millis(10)).await; // await asyncio.sleep(1)
    println!("World");
}

async fn main_coro() {
    hello().await;
}

fn main() {
    corio::run(main_coro());
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
