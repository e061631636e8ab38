//! `StreamWriter`: asyncio's buffered writer with flow control.
//!
//! # Rules
//!
//! 1. `write` appends to the buffer and never blocks; a flusher task, one
//!    per writer, moves buffered bytes to the socket in the background
//!    (asyncio's transport does the same), `FLUSH_CHUNK` at a time: it
//!    copies them out of the buffer, so a writer holds its buffer and at
//!    most one chunk, not two buffers' worth. The bytes taken stay at the
//!    front of the buffer (`buf[..sent]`) until it is sent out entirely,
//!    or until a write needs their room; so a large buffer is not moved
//!    for every chunk.
//! 2. `pending` counts bytes written by the user and not yet accepted by
//!    the socket. Above the high-water mark the writer is `paused`; it is
//!    resumed when the flusher brings `pending` down to the low-water mark.
//!    `drain` waits while paused. The buffer grows by doubling, except
//!    that the step over the high-water mark stops at `high + low`: a
//!    writer paused just past the mark holds about 1.25×, not 2×, the mark.
//! 3. The first socket error (peer reset, broken pipe) is kept: buffered
//!    data is dropped, the writer stops being paused, every waiter is woken
//!    and every later `drain` returns the error — never a spin.
//! 4. `close` lets the flusher send what is buffered, then shuts the
//!    socket down both ways; `wait_closed` waits for that. `write_eof`
//!    sends the buffer, then shuts down the write half only. Dropping the
//!    writer is `write_eof` (the peer sees EOF, the reader half keeps
//!    reading) and ends the flusher, so the socket closes once the reader
//!    is dropped too.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_io::AsyncWrite;

use super::ExtraInfo;
use super::transport::Transport;
use crate::loom::Mutex;

/// The default high-water mark: 64 KiB (low = high / 4).
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;
/// The most the flusher takes out of the buffer for one write (rule 1).
const FLUSH_CHUNK: usize = 16 * 1024;

#[derive(Default)]
struct State {
    /// Bytes written; `buf[..sent]` are already with the flusher, the
    /// rest wait. `sent < buf.len()` unless both are 0 (rule 1).
    buf: Vec<u8>,
    sent: usize,
    pending: usize,
    high: usize,
    low: usize,
    paused: bool,
    closing: bool,
    eof_requested: bool,
    eof_sent: bool,
    dropped: bool,
    closed: bool,
    error: Option<(io::ErrorKind, String)>,
    flusher: Option<Waker>,
    waiters: Vec<Waker>,
}

impl State {
    fn wake_waiters(&mut self) -> Vec<Waker> {
        std::mem::take(&mut self.waiters)
    }

    fn error(&self) -> Option<io::Error> {
        self.error.as_ref().map(|(kind, msg)| io::Error::new(*kind, msg.clone()))
    }

    fn add_waiter(&mut self, w: &Waker) {
        if !self.waiters.iter().any(|x| x.will_wake(w)) {
            self.waiters.push(w.clone());
        }
    }
}

struct WriterShared {
    state: Mutex<State>,
}

impl WriterShared {
    fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (r, wakers, flusher) = {
            let mut st = self.state.lock();
            let was = (st.paused, st.pending, st.closed, st.error.is_some());
            let r = f(&mut st);
            let changed = was != (st.paused, st.pending, st.closed, st.error.is_some());
            let wakers = if changed { st.wake_waiters() } else { Vec::new() };
            let flusher = if !st.buf.is_empty() || st.closing || st.eof_requested { st.flusher.take() } else { None };
            (r, wakers, flusher)
        };
        wakers.into_iter().chain(flusher).for_each(crate::catch::wake_caught);
        r
    }
}

/// Writes to a connection with asyncio's `StreamWriter` methods. Also
/// `futures_io::AsyncWrite`.
pub struct StreamWriter {
    shared: Arc<WriterShared>,
    transport: Arc<dyn Transport>,
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state.lock();
        f.debug_struct("StreamWriter").field("pending", &st.pending).field("closing", &st.closing).finish()
    }
}

impl StreamWriter {
    /// Rule 1: a writer over `transport`, with its flusher task spawned on
    /// the current runtime.
    pub(crate) fn new(transport: Arc<dyn Transport>) -> StreamWriter {
        let high = DEFAULT_HIGH_WATER;
        let state = State { high, low: high / 4, ..State::default() };
        let shared = Arc::new(WriterShared { state: Mutex::new(state) });
        corio_sched::spawn(flush_loop(shared.clone(), transport.clone())).detach();
        StreamWriter { shared, transport }
    }

    /// Buffers `data` (sent in the background). Dropped silently once the
    /// writer is closing or broken; `drain` reports the error.
    pub fn write(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.shared.update(|st| {
            if st.closing || st.eof_requested || st.error.is_some() {
                return;
            }
            reserve(st, data.len());
            st.buf.extend_from_slice(data);
            st.pending += data.len();
            if st.pending > st.high {
                st.paused = true;
            }
        });
    }

    /// Buffers each item in turn.
    pub fn writelines<I>(&self, lines: I)
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        for line in lines {
            self.write(line.as_ref());
        }
    }

    /// Rule 2/3: waits while the buffer is above the high-water mark; the
    /// kept error if the connection broke.
    pub async fn drain(&self) -> io::Result<()> {
        poll_fn(|cx| {
            let mut st = self.shared.state.lock();
            if let Some(e) = st.error() {
                return Poll::Ready(Err(e));
            }
            if !st.paused {
                return Poll::Ready(Ok(()));
            }
            st.add_waiter(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Rule 4: sends the buffer, then shuts down the write half (the peer
    /// sees EOF). Later writes are dropped.
    pub fn write_eof(&self) -> io::Result<()> {
        self.shared.update(|st| {
            if st.closing {
                return Err(io::Error::new(io::ErrorKind::NotConnected, "the writer is closed"));
            }
            st.eof_requested = true;
            Ok(())
        })
    }

    /// `true`: the transport supports `write_eof`.
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Rule 4: closes after the buffer is sent.
    pub fn close(&self) {
        self.shared.update(|st| st.closing = true);
    }

    /// `true` once `close` was called or the connection broke.
    pub fn is_closing(&self) -> bool {
        let st = self.shared.state.lock();
        st.closing || st.error.is_some()
    }

    /// Waits until the writer is closed (the socket shut down).
    pub async fn wait_closed(&self) {
        poll_fn(|cx| {
            let mut st = self.shared.state.lock();
            if st.closed {
                return Poll::Ready(());
            }
            st.add_waiter(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// The peer's address (asyncio's `get_extra_info("peername")`).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.transport.peer_addr()
    }

    /// asyncio's `get_extra_info`: the peer's and the local address
    /// (`None` on a Unix-domain socket) and, over TLS, the negotiated ALPN
    /// protocol and the peer's certificates.
    pub fn get_extra_info(&self) -> ExtraInfo {
        self.transport.extra_info()
    }

    /// Sets the flow-control marks (asyncio's `set_write_buffer_limits`).
    ///
    /// # Panics
    ///
    /// If `low > high` (asyncio raises `ValueError`).
    pub fn set_write_buffer_limits(&self, high: usize, low: usize) {
        assert!(low <= high, "set_write_buffer_limits: high ({high}) must be >= low ({low})");
        self.shared.update(|st| {
            st.high = high;
            st.low = low;
            if st.pending > high {
                st.paused = true;
            } else if st.pending <= low {
                st.paused = false;
            }
        });
    }

    /// Bytes written and not yet accepted by the socket.
    pub fn write_buffer_size(&self) -> usize {
        self.shared.state.lock().pending
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        // Rule 4.
        self.shared.update(|st| {
            st.dropped = true;
            st.eof_requested = true;
        });
    }
}

impl AsyncWrite for StreamWriter {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        {
            let mut st = self.shared.state.lock();
            if let Some(e) = st.error() {
                return Poll::Ready(Err(e));
            }
            if st.closing || st.eof_requested {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::BrokenPipe, "the writer is closed")));
            }
            if st.paused {
                st.add_waiter(cx.waker());
                return Poll::Pending;
            }
        }
        self.write(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.shared.state.lock();
        if let Some(e) = st.error() {
            return Poll::Ready(Err(e));
        }
        if st.pending == 0 {
            return Poll::Ready(Ok(()));
        }
        st.add_waiter(cx.waker());
        Poll::Pending
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close();
        let mut st = self.shared.state.lock();
        if st.closed {
            return Poll::Ready(st.error().map_or(Ok(()), Err));
        }
        st.add_waiter(cx.waker());
        Poll::Pending
    }
}

/// Rule 2: room for `extra` more bytes: first by dropping the bytes the
/// flusher took (rule 1), then by doubling, except that the step over the
/// high-water mark stops at `high + low` when that is enough.
fn reserve(st: &mut State, extra: usize) {
    let cap = st.buf.capacity();
    if st.buf.len() + extra <= cap {
        return;
    }
    st.buf.drain(..st.sent);
    st.sent = 0;
    let need = st.buf.len() + extra;
    if need <= cap {
        return;
    }
    let step = st.high.saturating_add(st.low);
    let target = if cap < step && 2 * cap > step && need <= step { step } else { need.max(2 * cap) };
    st.buf.reserve_exact(target - st.buf.len());
}

/// Rule 1: copies the next waiting bytes, at most `FLUSH_CHUNK`, into the
/// empty `chunk`.
fn take_chunk(st: &mut State, chunk: &mut Vec<u8>) {
    let from = st.sent;
    let n = (st.buf.len() - from).min(FLUSH_CHUNK);
    chunk.reserve_exact(n);
    chunk.extend_from_slice(&st.buf[from..from + n]);
    st.sent += n;
    if st.sent == st.buf.len() {
        st.buf.clear();
        st.sent = 0;
    }
}

enum Next {
    Data(Vec<u8>),
    SendEof,
    Close,
}

/// Rule 1: the flusher task.
async fn flush_loop(shared: Arc<WriterShared>, transport: Arc<dyn Transport>) {
    let mut spare = Vec::new();
    loop {
        let next = poll_fn(|cx| {
            let mut st = shared.state.lock();
            if !st.buf.is_empty() && st.error.is_none() {
                let mut chunk = std::mem::take(&mut spare);
                take_chunk(&mut st, &mut chunk);
                return Poll::Ready(Next::Data(chunk));
            }
            if st.closing || st.error.is_some() {
                return Poll::Ready(Next::Close);
            }
            if st.eof_requested && !st.eof_sent {
                return Poll::Ready(Next::SendEof);
            }
            if st.dropped {
                return Poll::Ready(Next::Close);
            }
            st.flusher = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        match next {
            Next::Data(mut data) => {
                if write_out(&shared, &*transport, &data).await {
                    // A TLS session holds the last records until flushed.
                    if let Err(e) = poll_fn(|cx| transport.poll_flush(cx)).await {
                        fail(&shared, e);
                    }
                }
                data.clear();
                spare = data;
            }
            Next::SendEof => {
                let res = poll_fn(|cx| transport.poll_shutdown(cx, Shutdown::Write))
                    .await
                    .or_else(crate::net::ignore_not_connected);
                shared.update(|st| {
                    st.eof_sent = true;
                    if let Err(e) = res {
                        st.error = Some((e.kind(), e.to_string()));
                    }
                });
            }
            Next::Close => break,
        }
    }
    if shared.state.lock().closing {
        // TLS: close_notify goes out first (the peer reads a clean EOF).
        let _ = poll_fn(|cx| transport.poll_shutdown(cx, Shutdown::Both)).await;
    }
    shared.update(|st| {
        st.closed = true;
        st.paused = false;
    });
}

/// Writes `data` out, keeping `pending` and `paused` up to date (rules 2,
/// 3); `false` if the connection broke.
async fn write_out(shared: &WriterShared, transport: &dyn Transport, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        let res = poll_fn(|cx| transport.poll_write(cx, data)).await;
        match res {
            Ok(0) => {
                fail(shared, io::Error::new(io::ErrorKind::WriteZero, "the socket accepted no data"));
                return false;
            }
            Ok(n) => {
                data = &data[n..];
                shared.update(|st| {
                    st.pending -= n;
                    if st.paused && st.pending <= st.low {
                        st.paused = false;
                    }
                });
            }
            Err(e) => {
                fail(shared, e);
                return false;
            }
        }
    }
    true
}

fn fail(shared: &WriterShared, e: io::Error) {
    shared.update(|st| {
        st.error = Some((e.kind(), e.to_string()));
        st.buf.clear();
        st.sent = 0;
        st.pending = 0;
        st.paused = false;
    });
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use super::*;

    fn state() -> State {
        State { high: DEFAULT_HIGH_WATER, low: DEFAULT_HIGH_WATER / 4, ..State::default() }
    }

    fn write(st: &mut State, n: usize) {
        reserve(st, n);
        st.buf.extend_from_slice(&vec![b'x'; n]);
    }

    /// Regression (hostile peers): a writer paused just past the
    /// high-water mark held a buffer of twice the mark, and the flusher a
    /// second one, so 50 never-reading peers took about 320 KiB each.
    #[test]
    fn a_writer_paused_past_the_mark_holds_a_quarter_more_not_double() {
        let mut st = state();
        for _ in 0..65 {
            write(&mut st, 1024);
        }
        assert_eq!(st.buf.len(), DEFAULT_HIGH_WATER + 1024);
        assert_eq!(st.buf.capacity(), DEFAULT_HIGH_WATER + DEFAULT_HIGH_WATER / 4);
    }

    /// A large write goes out chunk by chunk, in order, without moving
    /// what is left; a write that needs room drops the bytes already taken
    /// rather than growing the buffer.
    #[test]
    fn the_flusher_takes_chunks_from_the_front_without_moving_the_rest() {
        let mut st = state();
        let data: Vec<u8> = (0..5 * FLUSH_CHUNK + 7).map(|i| (i % 251) as u8).collect();
        reserve(&mut st, data.len());
        st.buf.extend_from_slice(&data);
        let (ptr, cap) = (st.buf.as_ptr(), st.buf.capacity());
        let mut out = Vec::new();
        let mut chunk = Vec::new();
        for _ in 0..3 {
            take_chunk(&mut st, &mut chunk);
            assert_eq!(chunk.len(), FLUSH_CHUNK);
            assert_eq!((st.buf.as_ptr(), st.buf.len()), (ptr, data.len()), "the rest was moved");
            out.append(&mut chunk);
        }
        let past_capacity = cap - st.buf.len() + 1;
        write(&mut st, past_capacity);
        assert_eq!((st.sent, st.buf.capacity()), (0, cap), "the taken bytes make room");
        while !st.buf.is_empty() {
            take_chunk(&mut st, &mut chunk);
            out.append(&mut chunk);
        }
        assert_eq!(out[..data.len()], data[..]);
        assert_eq!(out.len(), cap + 1);
    }

    #[test]
    fn a_writer_that_never_drains_still_grows_by_doubling() {
        let mut st = state();
        let mut reallocs = 0;
        for _ in 0..(1 << 20) / 512 {
            let cap = st.buf.capacity();
            write(&mut st, 512);
            reallocs += usize::from(st.buf.capacity() != cap);
        }
        assert!(reallocs <= 20, "{reallocs} reallocations for 1 MiB in 512 B writes");
    }
}
