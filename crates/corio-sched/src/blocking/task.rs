//! A task that waits for a closure running on a blocking pool.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::BlockingPool;
use crate::loom::{Arc, Mutex};
use crate::task::Task;

/// Where the pool thread leaves the closure's result.
struct Slot<R> {
    state: Mutex<SlotState<R>>,
}

struct SlotState<R> {
    result: Option<std::thread::Result<R>>,
    waker: Option<Waker>,
}

/// The future of a `to_thread` task.
pub(crate) struct WaitBlocking<R> {
    slot: Arc<Slot<R>>,
}

impl<R> Future for WaitBlocking<R> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let mut state = self.slot.state.lock();
        match state.result.take() {
            Some(Ok(value)) => Poll::Ready(value),
            // Re-raise inside the task, which records it as its panic.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Submits `f` to `pool`; the task `spawn` makes of the returned waiter
/// resolves to its result.
pub(crate) fn spawn_blocking<F, R>(spawn: impl FnOnce(WaitBlocking<R>) -> Task<R>, pool: &BlockingPool, f: F) -> Task<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let slot = Arc::new(Slot { state: Mutex::new(SlotState { result: None, waker: None }) });
    let job_slot = slot.clone();
    let job = Box::new(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let waker = {
            let mut state = job_slot.state.lock();
            state.result = Some(result);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    let task = spawn(WaitBlocking { slot });
    if pool.submit(job).is_err() {
        task.cancel_with("the runtime is shutting down: the blocking pool takes no more work");
    }
    task
}
