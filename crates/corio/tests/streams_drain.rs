//! StreamWriter: buffering, water marks, drain back-pressure, close
//! (API.md §7).
#![cfg(not(corio_loom))]

mod common;

use std::io;
use std::net::Shutdown;
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};
use corio::net::{TcpListener, TcpStream, UnixStream};
use corio::streams::{DEFAULT_HIGH_WATER, StreamReader, StreamWriter, from_tcp_stream, from_unix_stream};

fn writer_and_peer() -> (StreamWriter, StreamReader, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    let (reader, writer) = from_unix_stream(a);
    (writer, reader, b)
}

#[test]
fn write_buffers_and_the_data_arrives_without_drain() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (w, _r, peer) = writer_and_peer();
            w.write(b"hello ");
            w.writelines([b"wor".as_slice(), b"ld".as_slice()]);
            let mut buf = [0u8; 11];
            peer.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello world");
        })
    });
}

#[test]
fn drain_returns_at_once_below_the_high_water_mark() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (w, _r, _peer) = writer_and_peer();
            w.write(&[0u8; 100]);
            w.drain().await.unwrap();
            assert_eq!(DEFAULT_HIGH_WATER, 64 * 1024);
        })
    });
}

#[test]
fn drain_waits_above_the_high_water_mark_until_the_peer_reads() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (w, _r, peer) = writer_and_peer();
            w.set_write_buffer_limits(1024, 256);
            // Far more than the socket buffer holds: the writer pauses.
            let total = 8 * 1024 * 1024;
            w.write(&vec![5u8; total]);
            let drained = corio::wait_for(w.drain(), Duration::from_millis(50)).await;
            assert!(drained.is_err(), "drain must wait while the peer does not read");
            assert!(w.write_buffer_size() > 1024);
            let reader = corio::create_task(async move {
                let mut buf = vec![0u8; 65536];
                let mut got = 0;
                while got < total {
                    got += peer.read(&mut buf).await.unwrap();
                }
                got
            });
            w.drain().await.unwrap();
            assert!(w.write_buffer_size() <= 256);
            assert_eq!(reader.await.unwrap(), total);
        })
    });
}

#[test]
#[should_panic(expected = "must be >= low")]
fn low_above_high_panics() {
    runtime(1).block_on(async {
        let (w, _r, _p) = writer_and_peer();
        w.set_write_buffer_limits(10, 20);
    });
}

#[test]
fn drain_errors_after_the_peer_reset_the_connection() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = corio::create_task(TcpStream::connect(addr));
            let (server_side, _) = listener.accept().await.unwrap();
            let (_r, w) = from_tcp_stream(client.await.unwrap().unwrap()).unwrap();
            // The peer closes: our writes soon fail with EPIPE/ECONNRESET.
            drop(server_side);
            let mut err = None;
            for _ in 0..10_000 {
                w.write(&[1u8; 1024]);
                if let Err(e) = w.drain().await {
                    err = Some(e);
                    break;
                }
                corio::sleep(Duration::from_millis(1)).await;
            }
            let err = err.expect("drain never reported the reset");
            assert!(
                matches!(err.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset),
                "unexpected error {err:?}"
            );
            // It keeps returning the error, never spins.
            assert!(w.drain().await.is_err());
            assert!(w.is_closing());
        })
    });
}

#[test]
fn close_sends_the_buffer_then_the_peer_sees_eof() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (w, _r, peer) = writer_and_peer();
            w.write(b"last words");
            assert!(!w.is_closing());
            w.close();
            assert!(w.is_closing());
            w.wait_closed().await;
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            loop {
                let n = peer.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, b"last words");
        })
    });
}

#[test]
fn write_eof_half_closes_and_reading_goes_on() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (w, mut r, peer) = writer_and_peer();
            w.write(b"req");
            w.write_eof().unwrap();
            assert!(w.can_write_eof());
            let mut buf = [0u8; 8];
            peer.read_exact(&mut buf[..3]).await.unwrap();
            assert_eq!(peer.read(&mut buf).await.unwrap(), 0);
            peer.write_all(b"resp\n").await.unwrap();
            peer.shutdown(Shutdown::Write).unwrap();
            assert_eq!(r.readline().await.unwrap(), b"resp\n");
        })
    });
}

#[test]
fn write_eof_after_close_is_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (w, _r, _peer) = writer_and_peer();
            w.close();
            assert_eq!(w.write_eof().unwrap_err().kind(), io::ErrorKind::NotConnected);
        })
    });
}

#[test]
fn peer_addr_of_a_tcp_writer_and_of_a_unix_writer() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let c = corio::create_task(corio::open_connection("127.0.0.1", addr.port()));
            let _s = listener.accept().await.unwrap();
            let (_r, w) = c.await.unwrap().unwrap();
            assert_eq!(w.peer_addr().unwrap(), addr);
            let (uw, _ur, _p) = writer_and_peer();
            assert_eq!(uw.peer_addr().unwrap_err().kind(), io::ErrorKind::Unsupported);
        })
    });
}

#[test]
fn dropping_the_writer_sends_eof_and_the_reader_keeps_reading() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (w, mut r, peer) = writer_and_peer();
            w.write(b"bye");
            drop(w);
            let mut buf = [0u8; 8];
            peer.read_exact(&mut buf[..3]).await.unwrap();
            assert_eq!(peer.read(&mut buf).await.unwrap(), 0, "the peer sees EOF");
            peer.write_all(b"still readable\n").await.unwrap();
            assert_eq!(r.readline().await.unwrap(), b"still readable\n");
        })
    });
}
