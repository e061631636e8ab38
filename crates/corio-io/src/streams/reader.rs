//! `StreamReader`: asyncio's buffered reader.
//!
//! # Rules
//!
//! 1. Bytes are read from the source only inside a read call, at most
//!    `READ_CHUNK` at a time, and only while the call still needs data;
//!    `readuntil` stops reading once more than `limit` bytes are buffered
//!    without a separator. So the buffer holds at most `limit + READ_CHUNK`
//!    bytes whatever the peer sends (the kernel's socket buffer pushes back
//!    on the peer).
//! 2. Every method is cancel-safe: data read so far stays in the buffer if
//!    the future is dropped.
//! 3. `readuntil` leaves the buffer as it was on `LimitOverrunError`;
//!    `readline` drops the offending data (up to and including the newline
//!    if it was found, else all of it), as asyncio does.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncBufRead, AsyncRead};

use super::error::{IncompleteReadError, LimitOverrunError};

/// The default limit of a reader: 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;
const READ_CHUNK: usize = 64 * 1024;

type Source = Box<dyn AsyncRead + Send + Sync + Unpin>;

/// Reads from a connection with asyncio's `StreamReader` methods. Also
/// `futures_io::AsyncRead + AsyncBufRead`.
pub struct StreamReader {
    source: Source,
    /// Initialized storage; the data is `buf[pos..end]`.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    limit: usize,
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &self.buffered())
            .field("eof", &self.eof)
            .field("limit", &self.limit)
            .finish()
    }
}

impl StreamReader {
    /// A reader over any byte source (the streams of `open_connection` and
    /// `start_server` are built this way).
    pub fn new(source: impl AsyncRead + Send + Sync + Unpin + 'static) -> StreamReader {
        StreamReader { source: Box::new(source), buf: Vec::new(), pos: 0, end: 0, eof: false, limit: DEFAULT_LIMIT }
    }

    /// Sets the line/separator limit (default 64 KiB).
    ///
    /// # Panics
    ///
    /// If `limit` is zero (asyncio raises `ValueError`).
    pub fn with_limit(mut self, limit: usize) -> StreamReader {
        assert!(limit > 0, "StreamReader limit must be positive");
        self.limit = limit;
        self
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// `true` once the source ended and the buffer is empty.
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffered() == 0
    }

    /// Marks the end of the stream: later reads drain the buffer, then see
    /// EOF (asyncio's `feed_eof`).
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// Capacity of the internal buffer (for tests of the memory bound).
    #[doc(hidden)]
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn buffered(&self) -> usize {
        self.end - self.pos
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.consume_bytes(n);
        out
    }

    fn consume_bytes(&mut self, n: usize) {
        self.pos += n;
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        }
    }

    /// Makes room for one read: moves the data to the front and grows the
    /// storage to at most `end + READ_CHUNK` (rule 1).
    fn make_room(&mut self) {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.buf.len() - self.end < READ_CHUNK / 4 {
            let want = self.end + READ_CHUNK;
            self.buf.reserve_exact(want - self.buf.len());
            self.buf.resize(want, 0);
        }
        if self.end == 0 && self.buf.len() > 2 * READ_CHUNK {
            self.buf.truncate(READ_CHUNK);
            self.buf.shrink_to(READ_CHUNK);
        }
    }

    /// Rule 1: reads one chunk into the buffer; `Ok(0)` at EOF.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        self.make_room();
        let end = self.end;
        let n = ready!(Pin::new(&mut self.source).poll_read(cx, &mut self.buf[end..]))?;
        self.end += n;
        if n == 0 {
            self.eof = true;
        }
        Poll::Ready(Ok(n))
    }

    async fn fill(&mut self) -> io::Result<usize> {
        poll_fn(|cx| self.poll_fill(cx)).await
    }

    /// Up to `n` bytes: whatever is buffered, else waits for some. Empty at
    /// EOF, or when `n` is 0.
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.buffered() == 0 {
            self.fill().await?;
        }
        let n = n.min(self.buffered());
        Ok(self.take(n))
    }

    /// Everything up to EOF.
    pub async fn read_to_eof(&mut self) -> io::Result<Vec<u8>> {
        while self.fill().await? > 0 {}
        let n = self.buffered();
        Ok(self.take(n))
    }

    /// Exactly `n` bytes, or `IncompleteReadError { partial, expected:
    /// Some(n) }` (io kind `UnexpectedEof`) if the stream ends first; the
    /// partial data is consumed.
    pub async fn readexactly(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buffered() < n {
            if self.fill().await? == 0 {
                let partial = self.take(self.buffered());
                return Err(IncompleteReadError { partial, expected: Some(n) }.into());
            }
        }
        Ok(self.take(n))
    }

    /// Data up to and including `sep`. At EOF without `sep`:
    /// `IncompleteReadError { partial, expected: None }` (the data is
    /// consumed). Separator beyond the limit, or more than `limit` bytes
    /// without one: `LimitOverrunError` (io kind `InvalidData`), the data
    /// left in the buffer (rule 3). An empty `sep` is `InvalidInput`.
    pub async fn readuntil(&mut self, sep: &[u8]) -> io::Result<Vec<u8>> {
        if sep.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "separator should be at least one byte"));
        }
        let mut searched = 0;
        loop {
            let data = self.data();
            if let Some(i) = find(&data[searched..], sep).map(|i| i + searched) {
                if i > self.limit {
                    // asyncio: "Separator is found, but chunk is longer than limit".
                    return Err(LimitOverrunError { consumed: i }.into());
                }
                return Ok(self.take(i + sep.len()));
            }
            let len = data.len();
            searched = (len + 1).saturating_sub(sep.len());
            if searched > self.limit {
                // asyncio: "Separator is not found, and chunk exceed the limit".
                return Err(LimitOverrunError { consumed: searched }.into());
            }
            if self.fill().await? == 0 {
                let partial = self.take(self.buffered());
                return Err(IncompleteReadError { partial, expected: None }.into());
            }
        }
    }

    /// One line, with its `\n`. At EOF the partial last line, then empty.
    /// A line longer than the limit: `LimitOverrunError`, and the line (as
    /// much of it as was buffered) is dropped (rule 3).
    pub async fn readline(&mut self) -> io::Result<Vec<u8>> {
        match self.readuntil(b"\n").await {
            Ok(line) => Ok(line),
            Err(e) => {
                if let Some(inc) = e.get_ref().and_then(|r| r.downcast_ref::<IncompleteReadError>()) {
                    return Ok(inc.partial.clone());
                }
                if let Some(over) = e.get_ref().and_then(|r| r.downcast_ref::<LimitOverrunError>()) {
                    let consumed = over.consumed;
                    if self.data().get(consumed) == Some(&b'\n') {
                        self.consume_bytes(consumed + 1);
                    } else {
                        self.consume_bytes(self.buffered());
                    }
                }
                Err(e)
            }
        }
    }
}

/// The lines of a [`StreamReader`] as a `futures_core::Stream`; see
/// [`StreamReader::lines`].
#[must_use = "streams do nothing unless polled"]
pub struct Lines<'a> {
    reader: &'a mut StreamReader,
    /// Bytes at the front of the buffer already searched for `\n`.
    searched: usize,
}

impl fmt::Debug for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines").field("reader", &self.reader).finish()
    }
}

impl StreamReader {
    /// The lines as a stream — asyncio's `async for line in reader`: each
    /// item is a line with its `\n` (the last one may lack it), the stream
    /// ends at EOF, and a line over the limit is an `Err` item
    /// (`LimitOverrunError`, the line dropped as `readline` does), after
    /// which the stream goes on. Cancel-safe (rule 2): a line is taken from
    /// the buffer only in the poll that yields it.
    pub fn lines(&mut self) -> Lines<'_> {
        Lines { reader: self, searched: 0 }
    }

    fn poll_line(&mut self, cx: &mut Context<'_>, searched: &mut usize) -> Poll<Option<io::Result<Vec<u8>>>> {
        loop {
            let data = self.data();
            let from = (*searched).min(data.len());
            if let Some(i) = data[from..].iter().position(|&b| b == b'\n').map(|i| i + from) {
                *searched = 0;
                if i > self.limit {
                    // Rule 3, as `readline`: drop the line and its `\n`.
                    self.consume_bytes(i + 1);
                    return Poll::Ready(Some(Err(LimitOverrunError { consumed: i }.into())));
                }
                return Poll::Ready(Some(Ok(self.take(i + 1))));
            }
            let len = data.len();
            *searched = len;
            if len > self.limit {
                *searched = 0;
                self.consume_bytes(len);
                return Poll::Ready(Some(Err(LimitOverrunError { consumed: len }.into())));
            }
            if self.eof {
                *searched = 0;
                if len == 0 {
                    return Poll::Ready(None);
                }
                return Poll::Ready(Some(Ok(self.take(len))));
            }
            if let Err(e) = ready!(self.poll_fill(cx)) {
                return Poll::Ready(Some(Err(e)));
            }
        }
    }
}

impl futures_core::Stream for Lines<'_> {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.reader.poll_line(cx, &mut this.searched)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() == 1 {
        return haystack.iter().position(|&b| b == needle[0]);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl AsyncRead for StreamReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buffered() == 0 {
            if this.eof {
                return Poll::Ready(Ok(0));
            }
            let n = ready!(Pin::new(&mut this.source).poll_read(cx, out))?;
            if n == 0 && !out.is_empty() {
                this.eof = true;
            }
            return Poll::Ready(Ok(n));
        }
        let n = out.len().min(this.buffered());
        out[..n].copy_from_slice(&this.data()[..n]);
        this.consume_bytes(n);
        Poll::Ready(Ok(n))
    }
}

impl AsyncBufRead for StreamReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.buffered() == 0 {
            ready!(this.poll_fill(cx))?;
        }
        Poll::Ready(Ok(this.data()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let amt = amt.min(this.buffered());
        this.consume_bytes(amt);
    }
}
