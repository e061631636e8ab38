//! [`BaseQueue::stream`]: a queue's items as a `futures_core::Stream` —
//! asyncio's `while True: item = await q.get()` loop, ending at shutdown.
//!
//! Cancel-safety is [`Get`]'s (queue rule 3): the stream keeps one pending
//! `get`; dropping the stream drops it, and an item already handed to it
//! goes back to the next getter (or the storage), so none is lost.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::base::{BaseQueue, Get};
use super::storage::Storage;

/// The stream of [`BaseQueue::stream`].
#[must_use = "streams do nothing unless polled"]
pub struct QueueStream<'a, S: Storage> {
    queue: &'a BaseQueue<S>,
    get: Option<Get<'a, S>>,
    done: bool,
}

impl<S: Storage> BaseQueue<S> {
    /// The items as a `futures_core::Stream`, each taken as by
    /// [`get`](BaseQueue::get) (so several streams and getters share the
    /// items). It ends when the queue is shut down: after `shutdown(false)`
    /// once the stored items are taken, after `shutdown(true)` at once.
    pub fn stream(&self) -> QueueStream<'_, S> {
        QueueStream { queue: self, get: None, done: false }
    }
}

impl<S: Storage> futures_core::Stream for QueueStream<'_, S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let queue = this.queue;
        let get = this.get.get_or_insert_with(|| queue.get());
        match Pin::new(get).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(res) => {
                this.get = None;
                match res {
                    Ok(item) => Poll::Ready(Some(item)),
                    Err(_) => {
                        this.done = true;
                        Poll::Ready(None)
                    }
                }
            }
        }
    }
}

impl<S: Storage> futures_core::FusedStream for QueueStream<'_, S> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<S: Storage> fmt::Debug for QueueStream<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueStream").field("waiting", &self.get.is_some()).field("done", &self.done).finish()
    }
}
