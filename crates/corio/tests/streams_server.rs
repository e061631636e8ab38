//! `start_server`, `open_connection` and `Server` (API.md §7).
#![cfg(not(corio_loom))]

mod common;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};

async fn echo_server() -> corio::streams::Server {
    corio::start_server(
        |mut reader, writer| async move {
            loop {
                let line = reader.readline().await.unwrap();
                if line.is_empty() {
                    break;
                }
                if line == b"panic\n" {
                    panic!("handler asked to panic");
                }
                writer.write(&line);
                writer.drain().await.unwrap();
            }
        },
        "127.0.0.1",
        0,
    )
    .await
    .unwrap()
}

#[test]
fn a_client_gets_its_lines_echoed() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let server = echo_server().await;
            let port = server.local_addrs()[0].port();
            let (mut r, w) = corio::open_connection("127.0.0.1", port).await.unwrap();
            for msg in [&b"a\n"[..], b"bb\n", b"ccc\n"] {
                w.write(msg);
                w.drain().await.unwrap();
                assert_eq!(r.readline().await.unwrap(), msg);
            }
            w.close();
            w.wait_closed().await;
        })
    });
}

#[test]
fn many_clients_are_served_concurrently() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let server = echo_server().await;
            let port = server.local_addrs()[0].port();
            let clients: Vec<_> = (0..200)
                .map(|i| {
                    corio::create_task(async move {
                        let (mut r, w) = corio::open_connection("127.0.0.1", port).await.unwrap();
                        let msg = format!("client {i}\n");
                        w.write(msg.as_bytes());
                        assert_eq!(r.readline().await.unwrap(), msg.as_bytes());
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
        })
    });
}

#[test]
fn a_panicking_handler_is_logged_and_the_server_keeps_serving() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let server = echo_server().await;
            let port = server.local_addrs()[0].port();
            let (mut r, w) = corio::open_connection("127.0.0.1", port).await.unwrap();
            w.write(b"panic\n");
            // The handler died: its connection closes.
            assert_eq!(r.readline().await.unwrap(), b"");
            let (mut r, w2) = corio::open_connection("127.0.0.1", port).await.unwrap();
            w2.write(b"still here\n");
            assert_eq!(r.readline().await.unwrap(), b"still here\n");
            assert!(server.is_serving());
            drop(w);
        })
    });
}

#[test]
fn close_stops_accepting_and_wait_closed_waits_for_handlers() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let finished = Arc::new(AtomicUsize::new(0));
            let started = Arc::new(AtomicUsize::new(0));
            let (f, st) = (finished.clone(), started.clone());
            let server = corio::start_server(
                move |mut reader, _writer| {
                    let f = f.clone();
                    st.fetch_add(1, Ordering::SeqCst);
                    async move {
                        let _ = reader.read_to_eof().await;
                        f.fetch_add(1, Ordering::SeqCst);
                    }
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
            let port = server.local_addrs()[0].port();
            let (_r, w) = corio::open_connection("127.0.0.1", port).await.unwrap();
            common::yield_until(|| started.load(Ordering::SeqCst) == 1).await;
            assert!(server.is_serving());
            server.close();
            assert!(!server.is_serving());
            // New connections are refused once the listener is gone.
            corio::sleep(Duration::from_millis(20)).await;
            let err = corio::open_connection("127.0.0.1", port).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
            // wait_closed waits for the running handler.
            assert!(corio::wait_for(server.wait_closed(), Duration::from_millis(30)).await.is_err());
            w.close();
            server.wait_closed().await;
            assert_eq!(finished.load(Ordering::SeqCst), 1);
        })
    });
}

#[test]
fn serve_forever_returns_when_the_server_is_closed() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let server = Arc::new(echo_server().await);
            let s2 = server.clone();
            let forever = corio::create_task(async move { s2.serve_forever().await });
            common::yield_until(|| !forever.done()).await;
            corio::sleep(Duration::from_millis(5)).await;
            let second = server.serve_forever().await;
            assert!(second.is_err(), "a second serve_forever must fail");
            server.close();
            forever.await.unwrap().unwrap();
            assert!(server.serve_forever().await.is_err(), "serve_forever on a closed server fails");
        })
    });
}

#[test]
fn cancelling_serve_forever_closes_the_server() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let server = Arc::new(echo_server().await);
            let s2 = server.clone();
            let r = corio::wait_for(async move { s2.serve_forever().await }, Duration::from_millis(10)).await;
            assert!(r.is_err());
            assert!(!server.is_serving());
        })
    });
}

#[test]
fn binding_a_port_in_use_fails() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let a = echo_server().await;
            let port = a.local_addrs()[0].port();
            let err = corio::start_server(|_r, _w| async {}, "127.0.0.1", port).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        })
    });
}

#[test]
fn open_connection_to_a_closed_port_is_refused() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let err = corio::open_connection("127.0.0.1", port).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        })
    });
}
