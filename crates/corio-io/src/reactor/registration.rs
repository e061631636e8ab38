//! `PollEvented`: a non-blocking OS source registered with the reactor,
//! and the retry loop every socket operation goes through.

use std::future::poll_fn;
use std::io;
use std::os::fd::AsFd;
use std::task::{Context, Poll, ready};

use super::scheduled_io::{Direction, ScheduledIo};
use crate::driver::IoHandle;
use crate::loom::Arc;

/// A non-blocking source registered with a reactor; deregistered (rule 3
/// of `reactor/mod.rs`) before the source is closed.
pub(crate) struct PollEvented<T: AsFd> {
    source: Option<T>,
    io: Arc<ScheduledIo>,
    handle: IoHandle,
}

impl<T: AsFd> std::fmt::Debug for PollEvented<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEvented").field("fd", &self.source.as_ref().map(|s| s.as_fd())).finish()
    }
}

impl<T: AsFd> PollEvented<T> {
    /// Registers `source` (already non-blocking) with `handle`'s reactor.
    pub(crate) fn new(handle: IoHandle, source: T) -> io::Result<PollEvented<T>> {
        let io = handle.inner.reactor.register(source.as_fd())?;
        Ok(PollEvented { source: Some(source), io, handle })
    }

    /// Registers `source` with the current runtime's reactor.
    pub(crate) fn new_current(source: T) -> io::Result<PollEvented<T>> {
        PollEvented::new(IoHandle::current(), source)
    }

    /// The source.
    pub(crate) fn get_ref(&self) -> &T {
        self.source.as_ref().expect("source taken")
    }

    /// Runs `op` once the source is ready in `dir`, retrying on
    /// `WouldBlock` (`scheduled_io.rs`, rule 2); spends one unit of the
    /// task's cooperative budget per completed operation.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let proceed = ready!(corio_sched::coop::poll_proceed(cx));
        loop {
            let ev = ready!(self.io.poll_ready(cx, dir));
            if ev.is_shutdown() {
                return Poll::Ready(Err(io::Error::other("the corio runtime's I/O driver has shut down")));
            }
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.clear_readiness(ev),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => {
                    proceed.made_progress();
                    return Poll::Ready(res);
                }
            }
        }
    }

    /// `poll_io` as a future.
    pub(crate) async fn async_io<R>(&self, dir: Direction, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, dir, &mut op)).await
    }
}

impl<T: AsFd> Drop for PollEvented<T> {
    fn drop(&mut self) {
        if let Some(source) = self.source.take() {
            self.handle.inner.reactor.deregister(source.as_fd(), &self.io);
            drop(source);
        }
    }
}
