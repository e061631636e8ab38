//! The pipes of a child: non-blocking, registered with the reactor, and
//! written without ever raising SIGPIPE.
//!
//! # Rules
//!
//! 1. The parent's end of each pipe is switched to `O_NONBLOCK` (the
//!    child's end is another open file description and stays blocking).
//! 2. A write blocks SIGPIPE in the writing thread for the duration of the
//!    `write(2)`; if the write failed with `EPIPE` and no SIGPIPE was pending
//!    before, the SIGPIPE the write raised (thread-directed) is consumed
//!    with a zero-timeout `sigtimedwait`, then the old mask is restored. So a
//!    write to a child that exited is `BrokenPipe`, even in a program that
//!    set SIGPIPE back to `SIG_DFL`.
//! 3. `shutdown` of the write end closes it (a pipe has no half-close): the
//!    `Arc` is taken out under the lock, so an operation in flight keeps the
//!    fd open until it returns, and none starts after.

use std::fs::File;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncRead;

use crate::driver::IoHandle;
use crate::loom::{Arc, Mutex};
use crate::reactor::registration::PollEvented;
use crate::reactor::scheduled_io::Direction;
use crate::streams::transport::Transport;

/// Rule 1.
fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: rule 1: `fd` is the parent's end, an open descriptor we own;
    // F_GETFL/F_SETFL take no pointers.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: rule 1, as above.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn register(handle: &IoHandle, fd: OwnedFd) -> io::Result<PollEvented<File>> {
    set_nonblocking(&fd)?;
    PollEvented::new(handle.clone(), File::from(fd))
}

/// The read end of a child's stdout or stderr.
pub(crate) struct PipeReader(PollEvented<File>);

impl PipeReader {
    pub(crate) fn new(handle: &IoHandle, fd: OwnedFd) -> io::Result<PipeReader> {
        Ok(PipeReader(register(handle, fd)?))
    }
}

impl AsyncRead for PipeReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.0.poll_read(cx, buf)
    }
}

/// The write end of a child's stdin, as a stream transport.
pub(crate) struct PipeWriter {
    fd: Mutex<Option<Arc<PollEvented<File>>>>,
}

impl PipeWriter {
    pub(crate) fn new(handle: &IoHandle, fd: OwnedFd) -> io::Result<PipeWriter> {
        Ok(PipeWriter { fd: Mutex::new(Some(Arc::new(register(handle, fd)?))) })
    }
}

/// Rule 2: one `write(2)` that cannot raise SIGPIPE.
fn write_no_sigpipe(file: &File, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: rule 2's signal sets: sigset_t is plain data (all-zero is a
    // valid value); sigemptyset/sigaddset initialize it.
    let mut pipe_set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: rule 2, as above.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: rule 2, as above.
    let mut pending: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: rule 2: valid pointers to local sigsets; pthread_sigmask
    // changes only this thread's mask, restored below on every path.
    unsafe {
        libc::sigemptyset(&mut pipe_set);
        libc::sigaddset(&mut pipe_set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &pipe_set, &mut old);
        libc::sigemptyset(&mut pending);
        libc::sigpending(&mut pending);
    }
    // SAFETY: rule 2: `pending` was filled by sigpending above.
    let was_pending = unsafe { libc::sigismember(&pending, libc::SIGPIPE) } == 1;
    let res = (&*file).write(buf);
    if !was_pending && res.as_ref().is_err_and(|e| e.raw_os_error() == Some(libc::EPIPE)) {
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: rule 2: valid pointers; consumes the SIGPIPE the failed
        // write made pending on this thread (it is blocked, so it was not
        // delivered).
        unsafe { libc::sigtimedwait(&pipe_set, std::ptr::null_mut(), &zero) };
    }
    // SAFETY: rule 2: restores the mask saved above (valid pointer).
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    res
}

impl Transport for PipeWriter {
    fn poll_read(&self, _cx: &mut Context<'_>, _buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        // Rule 3: no lock held while polling.
        let fd = self.fd.lock().clone();
        match fd {
            Some(fd) => fd.poll_io(cx, Direction::Write, |f| write_no_sigpipe(f, buf)),
            None => Poll::Ready(Err(io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin is closed"))),
        }
    }

    fn poll_shutdown(&self, _cx: &mut Context<'_>, _how: Shutdown) -> Poll<io::Result<()>> {
        // Rule 3.
        let fd = self.fd.lock().take();
        drop(fd);
        Poll::Ready(Ok(()))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "a pipe to a child process has no peer address"))
    }

    fn extra_info(&self) -> crate::streams::ExtraInfo {
        crate::streams::ExtraInfo::default()
    }
}
