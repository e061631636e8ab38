//! The StreamReader model check shared by the fuzz target
//! (`fuzz/fuzz_targets/stream_reader.rs`) and the proptest corpus
//! (`tests/stream_reader_model.rs`): arbitrary bytes are decoded into a
//! payload, a chunking of it (with `Pending`s in between) and a sequence of
//! `readline`/`readuntil`/`readexactly`/`read` calls, whose results are
//! checked against a straightforward model over the whole payload.
//! [`check_readuntil`] does the same for `readuntil` with separators of
//! 1 to 8 bytes (fuzz target `readuntil`).

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use futures_io::AsyncRead;

use super::{IncompleteReadError, LimitOverrunError, StreamReader};

/// Serves `data` in the given chunk sizes, returning `Pending` (after
/// waking itself) before every other chunk.
struct Chunked {
    data: Vec<u8>,
    pos: usize,
    chunks: Vec<usize>,
    next: usize,
    pend: bool,
}

impl AsyncRead for Chunked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.pend {
            self.pend = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pend = self.next % 2 == 1;
        let size = self.chunks.get(self.next % self.chunks.len().max(1)).copied().unwrap_or(7);
        self.next += 1;
        let n = size.min(buf.len()).min(self.data.len() - self.pos);
        let pos = self.pos;
        buf[..n].copy_from_slice(&self.data[pos..pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("a StreamReader call never finished on an in-memory source");
}

struct Bytes<'a>(std::slice::Iter<'a, u8>);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        self.0.next().copied().unwrap_or(0)
    }
}

fn incomplete(e: &io::Error) -> Option<&IncompleteReadError> {
    e.get_ref().and_then(|e| e.downcast_ref::<IncompleteReadError>())
}

fn overrun(e: &io::Error) -> Option<&LimitOverrunError> {
    e.get_ref().and_then(|e| e.downcast_ref::<LimitOverrunError>())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decodes `input` and checks every call against the model; panics on a
/// mismatch.
pub fn check_stream_reader(input: &[u8]) {
    let mut b = Bytes(input.iter());
    let limit = 1 + usize::from(b.next() % 32);
    let len = usize::from(b.next()) * 2;
    let data: Vec<u8> = (0..len).map(|_| [b'a', b'b', b'\n', b';'][usize::from(b.next() % 4)]).collect();
    let chunks: Vec<usize> = (0..8).map(|_| 1 + usize::from(b.next() % 40)).collect();
    let source = Chunked { data: data.clone(), pos: 0, chunks, next: 0, pend: false };
    let mut reader = StreamReader::new(source).with_limit(limit);
    let mut rest: &[u8] = &data;
    for _ in 0..64 {
        let (op, arg) = (b.next() % 4, usize::from(b.next() % 24));
        match op {
            0 => {
                let got = block_on(reader.readline());
                let nl = rest.iter().position(|&c| c == b'\n');
                match (nl, got) {
                    (Some(i), Ok(line)) if i <= limit => {
                        assert_eq!(line, &rest[..=i]);
                        rest = &rest[i + 1..];
                    }
                    (None, Ok(line)) if rest.len() <= limit => {
                        assert_eq!(line, rest, "readline at EOF gives the partial line");
                        rest = &[];
                    }
                    (_, Err(e)) if overrun(&e).is_some() => {
                        let too_long = nl.map_or(rest.len() > limit, |i| i > limit);
                        assert!(too_long, "LimitOverrun on a line within the limit");
                        // What readline drops depends on the chunking: stop.
                        return;
                    }
                    (nl, got) => panic!("readline: model {nl:?} (limit {limit}) vs {got:?}"),
                }
            }
            1 => {
                let sep: &[u8] = if arg % 2 == 0 { b";" } else { b";\n" };
                let got = block_on(reader.readuntil(sep));
                match (find(rest, sep), got) {
                    (Some(i), Ok(out)) if i <= limit => {
                        assert_eq!(out, &rest[..i + sep.len()]);
                        rest = &rest[i + sep.len()..];
                    }
                    (Some(i), Err(e)) if i > limit && overrun(&e).is_some() => {}
                    (None, Err(e)) if overrun(&e).is_some() => {
                        assert!(rest.len() + 1 - sep.len().min(rest.len() + 1) > limit);
                    }
                    (None, Err(e)) if incomplete(&e).is_some() => {
                        let inc = incomplete(&e).unwrap();
                        assert_eq!(inc.partial, rest);
                        assert_eq!(inc.expected, None);
                        rest = &[];
                    }
                    (i, got) => panic!("readuntil({sep:?}): model {i:?} (limit {limit}) vs {got:?}"),
                }
            }
            2 => match block_on(reader.readexactly(arg)) {
                Ok(out) => {
                    assert!(rest.len() >= arg);
                    assert_eq!(out, &rest[..arg]);
                    rest = &rest[arg..];
                }
                Err(e) => {
                    let inc = incomplete(&e).expect("readexactly fails only with IncompleteReadError");
                    assert!(rest.len() < arg);
                    assert_eq!(inc.partial, rest);
                    assert_eq!(inc.expected, Some(arg));
                    rest = &[];
                }
            },
            _ => {
                let out = block_on(reader.read(arg)).expect("read never fails on this source");
                if arg == 0 || rest.is_empty() {
                    assert!(out.is_empty());
                } else {
                    assert!(!out.is_empty() && out.len() <= arg);
                    assert_eq!(out, &rest[..out.len()]);
                    rest = &rest[out.len()..];
                }
            }
        }
        assert_eq!(reader.at_eof(), rest.is_empty() && reader.at_eof(), "at_eof with data left");
    }
}

/// Decodes `input` into a payload over a small alphabet, a chunking of it
/// and a sequence of `readuntil` calls with separators of 1 to 8 bytes
/// (often self-overlapping, like `aa`, `aba` or `aab`), mixed with `read`
/// and `readexactly`; checks each result against the leftmost match in the
/// rest of the payload. Panics on a mismatch.
///
/// The model: a separator starting at `i <= limit` gives `rest[..i + len]`;
/// one starting beyond the limit, or none while more than `limit` bytes
/// precede where it could still start, is a `LimitOverrunError` that leaves
/// the data in place (its `consumed` lies in `limit + 1 ..= i`); no
/// separator before EOF otherwise is an `IncompleteReadError` holding the
/// whole rest. An empty separator is `InvalidInput` and consumes nothing.
pub fn check_readuntil(input: &[u8]) {
    let mut b = Bytes(input.iter());
    let limit = match b.next() % 4 {
        0 => 1 + usize::from(b.next() % 8),
        1 | 2 => 1 + usize::from(b.next() % 64),
        _ => 1 + usize::from(b.next()) * 4,
    };
    let alphabet: &[u8] = [&b"ab"[..], b"abc", b"a\n"][usize::from(b.next() % 3)];
    let len = usize::from(b.next()) * 2 + usize::from(b.next() % 2);
    let data: Vec<u8> = (0..len).map(|_| alphabet[usize::from(b.next()) % alphabet.len()]).collect();
    let chunks: Vec<usize> = (0..8).map(|_| 1 + usize::from(b.next() % 40)).collect();
    let source = Chunked { data: data.clone(), pos: 0, chunks, next: 0, pend: false };
    let mut reader = StreamReader::new(source).with_limit(limit);
    let mut rest: &[u8] = &data;
    let mut sep: Vec<u8> = vec![alphabet[0]];
    for _ in 0..64 {
        let op = b.next();
        match op % 8 {
            // A new separator, then readuntil.
            0..=2 => {
                let n = 1 + usize::from(b.next() % 8);
                sep = (0..n).map(|_| alphabet[usize::from(b.next()) % alphabet.len()]).collect();
                check_one_readuntil(&mut reader, &sep, limit, &mut rest);
            }
            // readuntil with the previous separator.
            3 | 4 => check_one_readuntil(&mut reader, &sep, limit, &mut rest),
            5 => {
                let n = usize::from(b.next() % 24);
                let out = block_on(reader.read(n)).expect("read never fails on this source");
                if n == 0 || rest.is_empty() {
                    assert!(out.is_empty());
                } else {
                    assert!(!out.is_empty() && out.len() <= n);
                    assert_eq!(out, &rest[..out.len()]);
                    rest = &rest[out.len()..];
                }
            }
            6 => {
                let n = usize::from(b.next() % 24);
                match block_on(reader.readexactly(n)) {
                    Ok(out) => {
                        assert_eq!(out, &rest[..n]);
                        rest = &rest[n..];
                    }
                    Err(e) => {
                        let inc = incomplete(&e).expect("readexactly fails only with IncompleteReadError");
                        assert!(rest.len() < n);
                        assert_eq!(inc.partial, rest);
                        rest = &[];
                    }
                }
            }
            _ => {
                let e = block_on(reader.readuntil(b"")).expect_err("an empty separator is refused");
                assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            }
        }
        assert!(!reader.at_eof() || rest.is_empty(), "at_eof with data left");
    }
}

fn check_one_readuntil(reader: &mut StreamReader, sep: &[u8], limit: usize, rest: &mut &[u8]) {
    let got = block_on(reader.readuntil(sep));
    let found = find(rest, sep);
    match (found, got) {
        (Some(i), Ok(out)) if i <= limit => {
            assert_eq!(out, &rest[..i + sep.len()], "readuntil({sep:?}) returned the wrong bytes");
            *rest = &rest[i + sep.len()..];
        }
        (Some(i), Err(e)) if i > limit && overrun(&e).is_some() => {
            let consumed = overrun(&e).unwrap().consumed;
            assert!(consumed > limit && consumed <= i, "consumed {consumed}, limit {limit}, separator at {i}");
        }
        (None, Err(e)) if overrun(&e).is_some() => {
            let consumed = overrun(&e).unwrap().consumed;
            let could_start = (rest.len() + 1).saturating_sub(sep.len());
            assert!(could_start > limit, "LimitOverrun with {} bytes left and limit {limit}", rest.len());
            assert!(consumed > limit && consumed <= could_start, "consumed {consumed}, limit {limit}");
        }
        (None, Err(e)) if incomplete(&e).is_some() => {
            let could_start = (rest.len() + 1).saturating_sub(sep.len());
            assert!(could_start <= limit, "IncompleteRead where the data before EOF overruns the limit");
            let inc = incomplete(&e).unwrap();
            assert_eq!(inc.partial, *rest);
            assert_eq!(inc.expected, None);
            *rest = &[];
        }
        (i, got) => panic!("readuntil({sep:?}): model {i:?} (limit {limit}, {} left) vs {got:?}", rest.len()),
    }
}
