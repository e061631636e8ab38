//! StreamReader's read methods and their EOF rules (API.md §7).
#![cfg(not(corio_loom))]

mod common;

use std::io;

use common::{LIMIT, runtime, with_timeout};
use corio::net::UnixStream;
use corio::streams::{IncompleteReadError, StreamReader};

/// A reader fed by `peer`: what the test writes there, the reader reads.
fn reader_and_peer() -> (StreamReader, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    (StreamReader::new(a), b)
}

fn incomplete(e: &io::Error) -> &IncompleteReadError {
    e.get_ref().and_then(|e| e.downcast_ref::<IncompleteReadError>()).expect("an IncompleteReadError")
}

fn run<F: std::future::Future<Output = ()> + Send + 'static>(f: impl FnOnce() -> F + Send + 'static) {
    with_timeout(LIMIT, move || runtime(2).block_on(async move { f().await }));
}

#[test]
fn readline_returns_the_line_with_its_newline() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"one\ntwo\n").await.unwrap();
        assert_eq!(r.readline().await.unwrap(), b"one\n");
        assert_eq!(r.readline().await.unwrap(), b"two\n");
    });
}

#[test]
fn readline_at_eof_returns_the_partial_line_then_empty() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"tail").await.unwrap();
        drop(peer);
        assert_eq!(r.readline().await.unwrap(), b"tail");
        assert_eq!(r.readline().await.unwrap(), b"");
        assert!(r.at_eof());
    });
}

#[test]
fn readline_assembles_a_line_from_many_chunks() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        let t = corio::create_task(async move {
            for b in b"split across writes\n" {
                peer.write_all(&[*b]).await.unwrap();
                corio::yield_now().await;
            }
            peer
        });
        assert_eq!(r.readline().await.unwrap(), b"split across writes\n");
        drop(t.await.unwrap());
    });
}

#[test]
fn readuntil_returns_data_through_a_multi_byte_separator() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"header\r\n\r\nbody").await.unwrap();
        assert_eq!(r.readuntil(b"\r\n\r\n").await.unwrap(), b"header\r\n\r\n");
        assert_eq!(r.read(100).await.unwrap(), b"body");
    });
}

#[test]
fn readuntil_at_eof_is_incomplete_read_with_no_expected() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"no sep").await.unwrap();
        drop(peer);
        let e = r.readuntil(b";").await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let inc = incomplete(&e);
        assert_eq!(inc.partial, b"no sep");
        assert_eq!(inc.expected, None);
        assert!(r.at_eof());
    });
}

#[test]
fn readuntil_with_an_empty_separator_is_invalid_input() {
    run(|| async {
        let (mut r, _peer) = reader_and_peer();
        assert_eq!(r.readuntil(b"").await.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    });
}

#[test]
fn readexactly_returns_exactly_n_bytes() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"0123456789").await.unwrap();
        assert_eq!(r.readexactly(4).await.unwrap(), b"0123");
        assert_eq!(r.readexactly(6).await.unwrap(), b"456789");
        assert_eq!(r.readexactly(0).await.unwrap(), b"");
    });
}

#[test]
fn readexactly_at_eof_is_incomplete_read_with_partial_and_expected() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"abc").await.unwrap();
        drop(peer);
        let e = r.readexactly(5).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let inc = incomplete(&e);
        assert_eq!(inc.partial, b"abc");
        assert_eq!(inc.expected, Some(5));
        assert_eq!(e.to_string(), "3 bytes read on a total of 5 expected bytes");
    });
}

#[test]
fn read_n_returns_at_most_n_and_empty_at_eof() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"abcdef").await.unwrap();
        drop(peer);
        assert_eq!(r.read(0).await.unwrap(), b"");
        let first = r.read(4).await.unwrap();
        assert!(!first.is_empty() && first.len() <= 4);
        let mut all = first;
        loop {
            let more = r.read(4).await.unwrap();
            if more.is_empty() {
                break;
            }
            all.extend(more);
        }
        assert_eq!(all, b"abcdef");
        assert!(r.at_eof());
    });
}

#[test]
fn read_to_eof_returns_everything() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let d2 = data.clone();
        let t = corio::create_task(async move {
            peer.write_all(&d2).await.unwrap();
        });
        assert_eq!(r.read_to_eof().await.unwrap(), data);
        t.await.unwrap();
        assert!(r.at_eof());
    });
}

#[test]
fn at_eof_is_false_while_data_is_buffered() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"x\ny").await.unwrap();
        drop(peer);
        assert_eq!(r.readline().await.unwrap(), b"x\n");
        assert!(!r.at_eof());
        assert_eq!(r.readline().await.unwrap(), b"y");
        assert!(r.at_eof());
    });
}

#[test]
fn feed_eof_ends_the_stream_after_the_buffer() {
    run(|| async {
        let (mut r, _peer) = reader_and_peer();
        r.feed_eof();
        assert_eq!(r.readline().await.unwrap(), b"");
        assert!(r.at_eof());
    });
}

#[test]
fn a_cancelled_readline_loses_no_data() {
    run(|| async {
        let (mut r, peer) = reader_and_peer();
        peer.write_all(b"partial").await.unwrap();
        let timed_out = corio::wait_for(r.readline(), std::time::Duration::from_millis(10)).await;
        assert!(timed_out.is_err());
        peer.write_all(b" line\n").await.unwrap();
        assert_eq!(r.readline().await.unwrap(), b"partial line\n");
    });
}
