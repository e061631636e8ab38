//! The StreamReader limit: LimitOverrunError and bounded memory (API.md §7).
#![cfg(not(corio_loom))]

mod common;

use std::io;
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};
use corio::net::UnixStream;
use corio::streams::{DEFAULT_LIMIT, LimitOverrunError, StreamReader};

fn reader_and_peer() -> (StreamReader, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    (StreamReader::new(a), b)
}

fn overrun(e: &io::Error) -> &LimitOverrunError {
    e.get_ref().and_then(|e| e.downcast_ref::<LimitOverrunError>()).expect("a LimitOverrunError")
}

#[test]
fn the_default_limit_is_64_kib() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (r, _p) = reader_and_peer();
            assert_eq!(r.limit(), 64 * 1024);
            assert_eq!(DEFAULT_LIMIT, 64 * 1024);
        })
    });
}

#[test]
fn a_line_longer_than_the_limit_is_limit_overrun_and_is_dropped() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (r, peer) = reader_and_peer();
            let mut r = r.with_limit(16);
            peer.write_all(b"this line is much longer than sixteen bytes\nnext\n").await.unwrap();
            let e = r.readline().await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
            assert!(overrun(&e).consumed > 16);
            assert_eq!(r.readline().await.unwrap(), b"next\n");
        })
    });
}

#[test]
fn readuntil_separator_found_beyond_the_limit_is_limit_overrun_and_data_stays() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (r, peer) = reader_and_peer();
            let mut r = r.with_limit(4);
            peer.write_all(b"0123456789;").await.unwrap();
            drop(peer);
            corio::sleep(Duration::from_millis(5)).await;
            let e = r.readuntil(b";").await.unwrap_err();
            assert_eq!(overrun(&e).consumed, 10);
            // readuntil leaves the data in the buffer (asyncio).
            assert_eq!(r.read_to_eof().await.unwrap(), b"0123456789;");
        })
    });
}

#[test]
fn a_line_exactly_at_the_limit_is_accepted() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (r, peer) = reader_and_peer();
            let mut r = r.with_limit(8);
            peer.write_all(b"12345678\n").await.unwrap();
            assert_eq!(r.readline().await.unwrap(), b"12345678\n");
        })
    });
}

#[test]
#[should_panic(expected = "limit must be positive")]
fn a_zero_limit_panics() {
    runtime(1).block_on(async {
        let (r, _p) = reader_and_peer();
        let _ = r.with_limit(0);
    });
}

#[test]
fn limit_overrun_error_is_an_error_and_converts_to_invalid_data() {
    let e = LimitOverrunError { consumed: 3 };
    let boxed: Box<dyn std::error::Error + Send + Sync + 'static> = Box::new(e.clone());
    assert!(boxed.to_string().contains("consumed 3"));
    let io: io::Error = e.into();
    assert_eq!(io.kind(), io::ErrorKind::InvalidData);
}

#[test]
fn a_peer_sending_100_mb_without_a_newline_is_refused_and_memory_stays_bounded() {
    with_timeout(Duration::from_secs(120), || {
        runtime(2).block_on(async {
            let (mut r, peer) = reader_and_peer();
            const TOTAL: usize = 100 * 1024 * 1024;
            let sender = corio::create_task(async move {
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < TOTAL {
                    if peer.write_all(&chunk).await.is_err() {
                        break;
                    }
                    sent += chunk.len();
                }
                sent
            });
            let bound = 4 * DEFAULT_LIMIT;
            let mut overruns = 0;
            loop {
                match r.readline().await {
                    Ok(line) => {
                        // The unterminated tail at EOF, then empty.
                        assert!(line.len() <= DEFAULT_LIMIT + 64 * 1024);
                        if line.is_empty() {
                            break;
                        }
                    }
                    Err(e) => {
                        overrun(&e);
                        overruns += 1;
                    }
                }
                assert!(r.buffer_capacity() <= bound, "buffer grew to {} bytes", r.buffer_capacity());
            }
            assert!(overruns > 0);
            assert_eq!(sender.await.unwrap(), TOTAL);
        })
    });
}
