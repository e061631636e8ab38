//! Seeds `000_6c219cbf8ab46d13.txt` "异步上下文管理器" (a "database
//! connection" opened in `__aenter__`, closed in `__aexit__`) and
//! `001_16af2edd1f85fe62.txt` 2.3.4 (enter/exit messages around a block).
//!
//! `async with` becomes: an async constructor (`__aenter__`) returning a
//! guard, the block, and an async `close` (`__aexit__`). `Drop` cannot be
//! async, so the guard's `Drop` is the synchronous safety net for when the
//! block panics or the task is cancelled before `close` ran.
//!
//! Run with `cargo run -p corio --example seed_async_context_manager`.

use std::time::Duration;

/// The managed resource.
struct AsyncContextManager {
    open: bool,
}

impl AsyncContextManager {
    /// `async def __aenter__(self)`: connect asynchronously.
    async fn enter() -> AsyncContextManager {
        println!(">进入上下文管理器");
        corio::sleep(Duration::from_millis(5)).await;
        AsyncContextManager { open: true }
    }

    async fn do_something(&self) -> u32 {
        666 // "异步操作数据库"
    }

    /// `async def __aexit__(self, ...)`: close asynchronously.
    async fn exit(mut self) {
        println!(">退出上下文管理器");
        corio::sleep(Duration::from_millis(5)).await;
        self.open = false;
    }
}

impl Drop for AsyncContextManager {
    fn drop(&mut self) {
        if self.open {
            // Reached only if `exit` never ran (panic, cancellation).
            println!(">退出上下文管理器 (synchronously, from Drop)");
        }
    }
}

/// `async with AsyncContextManager() as f: <body>` for any async body.
async fn async_with<R>(body: impl AsyncFnOnce(&AsyncContextManager) -> R) -> R {
    let manager = AsyncContextManager::enter().await;
    let result = body(&manager).await;
    manager.exit().await;
    result
}

fn main() {
    corio::run(async {
        // async with AsyncContextManager() as f: result = await f.do_something()
        let result = async_with(async |f| f.do_something().await).await;
        println!("{result}");

        // The explicit form, with the block inline.
        let manager = AsyncContextManager::enter().await;
        println!("在上下文管理器内部");
        manager.exit().await;

        // A cancelled block still closes the resource (via Drop).
        let task = corio::create_task(async {
            let _manager = AsyncContextManager::enter().await;
            std::future::pending::<()>().await;
        });
        corio::sleep(Duration::from_millis(20)).await;
        task.cancel();
        let _ = task.await;
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
