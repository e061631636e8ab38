//! Unix signals as async streams: `ctrl_c().await`, or `signal(kind)` and
//! `Signal::recv().await` for SIGTERM, SIGHUP, … (asyncio's
//! `loop.add_signal_handler`).
//!
//! # Rules
//!
//! 1. Each [`Signal`] owns a socket pair and registers, through
//!    signal-hook-registry, an action that writes one byte to the write end.
//!    `write` on a non-blocking socket is async-signal-safe; a full socket
//!    means a wake-up is pending already, so the lost byte loses nothing.
//! 2. `recv` waits for the read end to become readable and drains it: any
//!    number of deliveries since the last `recv` count as one (signals
//!    coalesce in the kernel too).
//! 3. Dropping a `Signal` unregisters its action before closing the
//!    sockets. Once a signal had an action, its default disposition is not
//!    restored (signal-hook-registry's rule): a process that listened for
//!    SIGINT is not killed by a later SIGINT.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Write};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncRead;

use crate::net::UnixStream;

/// A kind of signal to listen for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// SIGINT (Ctrl-C).
    pub fn interrupt() -> SignalKind {
        SignalKind(2)
    }

    /// SIGTERM (what `kill` sends by default).
    pub fn terminate() -> SignalKind {
        SignalKind(15)
    }

    /// SIGHUP.
    pub fn hangup() -> SignalKind {
        SignalKind(1)
    }

    /// Any signal by number.
    pub fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal's number.
    pub fn as_raw(self) -> i32 {
        self.0
    }
}

/// A registered listener for one kind of signal; see [`signal`]. Also a
/// `futures_core::Stream` of deliveries (`()` each; it never ends while the
/// `Signal` lives).
///
/// Cancel-safe: a delivery is consumed only in the poll that reports it, so
/// a `recv()` (or a stream `next()`) dropped before, or after its wake-up but
/// before its next poll, leaves it for the next call.
pub struct Signal {
    kind: SignalKind,
    id: Option<signal_hook_registry::SigId>,
    reader: UnixStream,
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish()
    }
}

/// Starts listening for `kind`. Errors for signals that cannot be caught
/// (SIGKILL, SIGSTOP) or must not be (SIGSEGV, SIGILL, SIGFPE).
///
/// # Panics
///
/// Outside a runtime.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    if signal_hook_registry::FORBIDDEN.contains(&kind.0) || kind.0 <= 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("signal {} cannot be handled", kind.0)));
    }
    let (read_end, write_end) = StdUnixStream::pair()?;
    write_end.set_nonblocking(true)?;
    let reader = UnixStream::from_std(read_end)?;
    let action = move || {
        // Rule 1: one async-signal-safe write; a full buffer is fine.
        let _ = (&write_end).write(&[1]);
    };
    // SAFETY: rule 1: the action only calls `write(2)` on a non-blocking
    // socket it owns (async-signal-safe; no allocation, no locks), as
    // signal-hook-registry requires of actions.
    let id = unsafe { signal_hook_registry::register(kind.0, action) }?;
    Ok(Signal { kind, id: Some(id), reader })
}

impl Signal {
    /// Rule 2: waits for the next delivery. Always `Some(())` (the stream
    /// of a signal never ends while the `Signal` lives).
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// `recv` as a poll function.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let mut buf = [0u8; 64];
        loop {
            match AsyncRead::poll_read(Pin::new(&mut &self.reader), cx, &mut buf) {
                Poll::Pending => return Poll::Pending,
                // Up to 64 queued deliveries are consumed at once.
                Poll::Ready(Ok(n)) if n > 0 => return Poll::Ready(Some(())),
                Poll::Ready(Ok(_)) => return Poll::Ready(None),
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(_)) => return Poll::Ready(None),
            }
        }
    }

    /// The kind listened for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl futures_core::Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // Rule 3.
        if let Some(id) = self.id.take() {
            signal_hook_registry::unregister(id);
        }
    }
}

/// Waits for Ctrl-C (SIGINT) — the usual way to stop a `run_forever`-style
/// server cleanly.
pub async fn ctrl_c() -> io::Result<()> {
    let mut sig = signal(SignalKind::interrupt())?;
    sig.recv().await.ok_or_else(|| io::Error::other("the signal stream ended"))
}
