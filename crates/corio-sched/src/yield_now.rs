//! `yield_now`: asyncio's `await asyncio.sleep(0)`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives other tasks a turn: the task goes to the back of its worker's
/// queue — asyncio's `await asyncio.sleep(0)`.
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // The task is requeued after this poll, at the back of the queue:
        // with its own waker without a wake (the runner is told through the
        // thread's context), else woken while running (rule 3 in `task/mod.rs`).
        crate::context::yield_task(cx.waker());
        Poll::Pending
    }
}
