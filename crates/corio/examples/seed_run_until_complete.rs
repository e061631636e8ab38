//! Seed `000_6c219cbf8ab46d13.txt`, "协程函数 / 事件循环": a coroutine object
//! does nothing until an event loop runs it — `loop.run_until_complete(result)`
//! and, since Python 3.7, `asyncio.run(result)`.
//!
//! In Rust an `async fn` call is likewise inert until awaited or handed to a
//! runtime. `Runtime::block_on` is `run_until_complete`; `corio::run` is
//! `asyncio.run`.
//!
//! Run with `cargo run -p corio --example seed_run_until_complete`.

/// `async def func(): pass`
async fn func() {}

fn main() {
    // result = func()  — creating the future runs none of its code.
    let result = func();

    // loop = asyncio.get_event_loop(); loop.run_until_complete(result)
    let rt = corio::Runtime::new().expect("cannot start a runtime");
    rt.block_on(result);
    drop(rt); // loop.close()

    // asyncio.run(func())  (Python 3.7+)
    corio::run(func());
    println!("both ways ran the coroutine");
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
