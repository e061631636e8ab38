//! A read or write that moves fewer bytes than asked clears the socket's
//! readiness without a `WouldBlock` syscall (corio-io `scheduled_io.rs`,
//! rule 2). These pin down what that must never cost: the peer's EOF that
//! arrived in the same edge as the data, data that arrives after the short
//! read, and a writer that filled the socket's buffer. Loopback only.
#![cfg(not(corio_loom))]

mod common;

use std::io::Write;
use std::net::Shutdown;
use std::pin::Pin;
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};
use corio::net::{TcpListener, TcpStream, UnixStream};
use futures_io::AsyncRead;

/// A corio server end and a blocking std client end.
async fn tcp_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::net::TcpStream::connect(addr).unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (server, client)
}

/// Lets bytes written by the other end reach this socket (both ends are
/// loopback; the wait only makes "data and FIN in one edge" likely, the
/// assertions hold either way).
async fn settle() {
    corio::sleep(Duration::from_millis(50)).await;
}

#[test]
fn data_and_fin_in_one_edge_then_a_short_read_still_sees_eof() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (server, mut client) = tcp_pair().await;
            client.write_all(b"hello").unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            settle().await;
            let mut buf = [0u8; 64];
            assert_eq!(server.read(&mut buf).await.unwrap(), 5, "the data, short of the buffer");
            assert_eq!(server.read(&mut buf).await.unwrap(), 0, "then EOF, without waiting for another edge");
            assert_eq!(server.read(&mut buf).await.unwrap(), 0, "and EOF again");
        })
    });
}

#[test]
fn the_poll_read_path_keeps_the_eof_too() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (server, mut client) = tcp_pair().await;
            client.write_all(b"abc").unwrap();
            drop(client);
            settle().await;
            let mut r = &server;
            let mut buf = [0u8; 64];
            let n = std::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf)).await.unwrap();
            assert_eq!(n, 3);
            let n = std::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf)).await.unwrap();
            assert_eq!(n, 0);
        })
    });
}

#[test]
fn data_after_a_short_read_wakes_the_reader() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (server, mut client) = tcp_pair().await;
            let writer = std::thread::spawn(move || {
                for chunk in [&b"one"[..], b"two", b"three"] {
                    client.write_all(chunk).unwrap();
                    std::thread::sleep(Duration::from_millis(30));
                }
            });
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            while got.len() < 11 {
                let n = server.read(&mut buf).await.unwrap();
                assert!(n > 0, "EOF before all the data");
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, b"onetwothree");
            writer.join().unwrap();
        })
    });
}

#[test]
fn a_writer_that_fills_the_socket_buffer_resumes_when_the_peer_reads() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (server, mut client) = tcp_pair().await;
            const LEN: usize = 8 << 20;
            let reader = std::thread::spawn(move || {
                // Start late, so the writer's first writes come back short.
                std::thread::sleep(Duration::from_millis(100));
                let mut all = Vec::with_capacity(LEN);
                std::io::Read::read_to_end(&mut client, &mut all).unwrap();
                all
            });
            let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
            server.write_all(&data).await.unwrap();
            server.shutdown(Shutdown::Write).unwrap();
            let got = corio::to_thread(move || reader.join().unwrap()).await.unwrap();
            assert!(got == data, "the peer got {} of {LEN} bytes, or other bytes", got.len());
        })
    });
}

#[test]
fn unix_streams_keep_the_eof_after_a_short_read() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            b.write_all(b"xyz").await.unwrap();
            drop(b);
            settle().await;
            let mut buf = [0u8; 64];
            assert_eq!(a.read(&mut buf).await.unwrap(), 3);
            assert_eq!(a.read(&mut buf).await.unwrap(), 0);
        })
    });
}
