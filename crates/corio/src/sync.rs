//! Synchronization primitives with asyncio's names — `Promise` (asyncio's
//! `Future`), `oneshot`, `CancellationToken`, `Event`, `Mutex`/`Lock`,
//! `Condition`, `Semaphore`, `BoundedSemaphore`, `Barrier` and the `Queue`
//! family. They need only a `Waker`, so they work under any executor.

pub use corio_sync::*;

/// A new [`Promise`] — asyncio's `loop.create_future()`.
///
/// Made inside a corio runtime, its done callbacks are scheduled on that
/// runtime, in registration order, never inside `set_result`'s stack. Made
/// outside any runtime it is a plain `Promise::new()`, whose callbacks run
/// on the completing thread after its locks are released.
///
/// ```
/// corio::run(async {
///     let fut = corio::create_future::<u32>();
///     let setter = fut.clone();
///     corio::create_task(async move { setter.set_result(7).unwrap() }).detach();
///     assert_eq!(fut.await.unwrap(), 7);
/// });
/// ```
pub fn create_future<T>() -> Promise<T> {
    match corio_sched::Handle::try_current() {
        Some(handle) => {
            let scheduler: CallbackScheduler = std::sync::Arc::new(move |job| handle.run_job(job));
            Promise::with_scheduler(scheduler)
        }
        None => Promise::new(),
    }
}
