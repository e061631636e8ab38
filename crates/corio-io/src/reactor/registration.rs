//! `PollEvented`: a non-blocking OS source registered with the reactor,
//! and the retry loop every socket operation goes through.

use std::future::poll_fn;
use std::io;
use std::os::fd::AsFd;
use std::task::{Context, Poll, ready};

use super::scheduled_io::{Direction, ScheduledIo, WaiterKey};
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

    /// How many wakers wait for (reading, writing) (a test hook).
    pub(crate) fn waiter_counts(&self) -> (usize, usize) {
        (self.io.waiter_count(Direction::Read), self.io.waiter_count(Direction::Write))
    }

    /// Runs `op` once the source is ready in `dir`, retrying on
    /// `WouldBlock` (`scheduled_io.rs`, rule 2); spends one unit of the
    /// task's cooperative budget per completed operation. For the poll-based
    /// traits, which keep no waiter key.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_keyed(cx, dir, None, op, |_| false)
    }

    /// `short(&result)` says the operation moved fewer bytes than it asked
    /// for: the socket's buffer is drained (or full), so readiness is cleared
    /// at once instead of learning it from one more `WouldBlock` syscall
    /// (rule 2 of `scheduled_io.rs`: a peer's close is kept).
    fn poll_io_keyed<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut key: Option<&mut Option<WaiterKey>>,
        mut op: impl FnMut(&T) -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        let proceed = ready!(corio_sched::coop::poll_proceed(cx));
        loop {
            let ev = ready!(self.io.poll_ready(cx, dir, key.as_deref_mut()));
            if ev.is_shutdown() {
                return Poll::Ready(Err(io::Error::other("the corio runtime's I/O driver has shut down")));
            }
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.clear_readiness(ev),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => {
                    if res.as_ref().is_ok_and(&short) {
                        self.io.clear_drained(ev);
                    }
                    proceed.made_progress();
                    return Poll::Ready(res);
                }
            }
        }
    }

    /// `poll_io` as a future that takes its waker out of the source's
    /// waiter slot when dropped, so futures that give up (a timeout, a
    /// cancelled task) leave nothing behind.
    pub(crate) async fn async_io<R>(&self, dir: Direction, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.async_io_with(dir, op, |_| false).await
    }

    /// `async_io` with `poll_io_keyed`'s `short` predicate.
    async fn async_io_with<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> io::Result<R> {
        let mut waiter = KeyedWaiter { io: &self.io, dir, key: None };
        poll_fn(|cx| self.poll_io_keyed(cx, dir, Some(&mut waiter.key), &mut op, &short)).await
    }
}

/// `poll_io_keyed`'s `short` for an operation on a buffer of `len` bytes:
/// it moved some bytes, but fewer than `len`.
fn partial(len: usize) -> impl Fn(&usize) -> bool {
    move |&n| n > 0 && n < len
}

/// Removes a socket future's waker from its source when the future ends.
struct KeyedWaiter<'a> {
    io: &'a ScheduledIo,
    dir: Direction,
    key: Option<WaiterKey>,
}

impl Drop for KeyedWaiter<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.io.remove_waiter(self.dir, key);
        }
    }
}

/// Byte-stream I/O, written once for every stream socket (TCP, Unix).
impl<T: AsFd> PollEvented<T>
where
    for<'a> &'a T: io::Read + io::Write,
{
    /// Reads into `buf`; `Ok(0)` at end of stream.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let short = partial(buf.len());
        self.poll_io_keyed(cx, Direction::Read, None, |s| io::Read::read(&mut &*s, buf), short)
    }

    /// Writes some of `buf`.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_io_keyed(cx, Direction::Write, None, |s| io::Write::write(&mut &*s, buf), partial(buf.len()))
    }

    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let short = partial(buf.len());
        self.async_io_with(Direction::Read, |s| io::Read::read(&mut &*s, buf), short).await
    }

    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.async_io_with(Direction::Write, |s| io::Write::write(&mut &*s, buf), partial(buf.len())).await
    }
    /// Writes all of `buf` (`WriteZero` if the socket stops taking bytes).
    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the stream ends
    /// first).
    pub(crate) async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf = &mut buf[n..];
        }
        Ok(())
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
