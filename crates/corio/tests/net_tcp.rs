//! `corio::net::{TcpListener, TcpStream}` (API.md §7). Loopback only.
#![cfg(not(corio_loom))]

mod common;

use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};
use corio::net::{TcpListener, TcpStream};
use futures_io::{AsyncRead, AsyncWrite};

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = corio::create_task(TcpStream::connect(addr));
    let (server, _) = listener.accept().await.unwrap();
    (connect.await.unwrap().unwrap(), server)
}

#[test]
fn connect_accept_and_echo_a_message() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (client, server) = pair().await;
            client.write_all(b"hello").await.unwrap();
            let mut buf = [0u8; 5];
            server.read_exact(&mut buf).await.unwrap();
            server.write_all(&buf).await.unwrap();
            let mut back = [0u8; 5];
            client.read_exact(&mut back).await.unwrap();
            assert_eq!(&back, b"hello");
        })
    });
}

#[test]
fn addresses_match_on_both_ends() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (client, server) = pair().await;
            assert_eq!(client.local_addr().unwrap(), server.peer_addr().unwrap());
            assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
        })
    });
}

#[test]
fn set_nodelay_round_trips() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (client, _server) = pair().await;
            client.set_nodelay(true).unwrap();
            assert!(client.nodelay().unwrap());
            client.set_nodelay(false).unwrap();
            assert!(!client.nodelay().unwrap());
        })
    });
}

#[test]
fn shutdown_write_gives_the_peer_eof() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (client, server) = pair().await;
            client.write_all(b"bye").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            let mut buf = [0u8; 16];
            assert_eq!(server.read(&mut buf).await.unwrap(), 3);
            assert_eq!(server.read(&mut buf).await.unwrap(), 0);
        })
    });
}

#[test]
fn host_names_are_resolved() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let listener = TcpListener::bind(("localhost".to_string(), 0)).await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let ip = listener.local_addr().unwrap().ip();
            let c = corio::create_task(TcpStream::connect((ip, port)));
            let _ = listener.accept().await.unwrap();
            c.await.unwrap().unwrap();
        })
    });
}

#[test]
fn connect_to_a_closed_port_is_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            };
            let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        })
    });
}

#[test]
fn unresolvable_host_is_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            assert!(TcpStream::connect("no-such-host.invalid:80").await.is_err());
        })
    });
}

#[test]
fn binding_a_port_in_use_is_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let err = TcpListener::bind(a.local_addr().unwrap()).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        })
    });
}

#[test]
fn one_task_reads_while_another_writes_through_shared_references() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (client, server) = pair().await;
            let client = Arc::new(client);
            let n = 1 << 20;
            let writer = {
                let client = client.clone();
                corio::create_task(async move {
                    let chunk = vec![7u8; 4096];
                    let mut left = n;
                    while left > 0 {
                        let k = left.min(chunk.len());
                        client.write_all(&chunk[..k]).await.unwrap();
                        left -= k;
                    }
                    client.shutdown(Shutdown::Write).unwrap();
                })
            };
            // The server echoes everything back.
            let echo = corio::create_task(async move {
                let mut buf = vec![0u8; 8192];
                loop {
                    let k = server.read(&mut buf).await.unwrap();
                    if k == 0 {
                        break;
                    }
                    server.write_all(&buf[..k]).await.unwrap();
                }
            });
            let mut total = 0;
            let mut buf = vec![0u8; 8192];
            while total < n {
                let k = client.read(&mut buf).await.unwrap();
                assert!(k > 0);
                total += k;
            }
            writer.await.unwrap();
            echo.await.unwrap();
            assert_eq!(total, n);
        })
    });
}

#[test]
fn futures_io_traits_work_on_the_stream_and_its_reference() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (mut client, server) = pair().await;
            let wrote = std::future::poll_fn(|cx| Pin::new(&mut client).poll_write(cx, b"abc")).await.unwrap();
            assert_eq!(wrote, 3);
            std::future::poll_fn(|cx| Pin::new(&mut client).poll_flush(cx)).await.unwrap();
            let mut buf = [0u8; 3];
            let mut r = &server;
            let mut got = 0;
            while got < 3 {
                got += std::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf[got..])).await.unwrap();
            }
            assert_eq!(&buf, b"abc");
            std::future::poll_fn(|cx| Pin::new(&mut client).poll_close(cx)).await.unwrap();
            let n = std::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf)).await.unwrap();
            assert_eq!(n, 0);
        })
    });
}

#[test]
fn a_ready_socket_loop_still_yields_to_other_tasks() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (client, server) = pair().await;
            // Plenty of data so reads are always ready.
            client.write_all(&vec![1u8; 256 * 1024]).await.unwrap();
            let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let f = flag.clone();
            let other = corio::create_task(async move { f.store(true, std::sync::atomic::Ordering::SeqCst) });
            let mut buf = [0u8; 1];
            let mut polls = 0;
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                // A one-byte read loop never awaits anything pending.
                let r = std::future::poll_fn(|cx| match Pin::new(&mut &server).poll_read(cx, &mut buf) {
                    Poll::Pending => Poll::Ready(None),
                    Poll::Ready(r) => Poll::Ready(Some(r)),
                })
                .await;
                if r.is_none() {
                    corio::yield_now().await;
                }
                polls += 1;
                assert!(polls < 1_000_000, "the other task never ran");
            }
            other.await.unwrap();
        })
    });
}

fn raise_nofile(want: u64) -> bool {
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass.
    unsafe {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return false;
        }
        if lim.rlim_cur >= want {
            return true;
        }
        lim.rlim_cur = want.min(lim.rlim_max);
        if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
            return false;
        }
        if lim.rlim_cur >= want {
            return true;
        }
        lim.rlim_max = want;
        lim.rlim_cur = want;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0
    }
}

const N: usize = 10_000;
const CLIENT_ENV: &str = "CORIO_TEST_ECHO_CLIENT_ADDR";

/// The client half of the 10,000-connection test, run in a child process
/// (so each process needs only N descriptors). A no-op in a normal run.
#[test]
fn echo_client_process_helper() {
    let Ok(addr) = std::env::var(CLIENT_ENV) else { return };
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    assert!(raise_nofile(N as u64 + 256), "child: cannot raise RLIMIT_NOFILE");
    runtime(2).block_on(async move {
        let clients: Vec<_> = (0..N)
            .map(|i| {
                corio::create_task(async move {
                    let s = TcpStream::connect(addr).await.unwrap();
                    let msg = (i as u64).to_le_bytes();
                    s.write_all(&msg).await.unwrap();
                    let mut back = [0u8; 8];
                    s.read_exact(&mut back).await.unwrap();
                    assert_eq!(back, msg);
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

#[test]
fn ten_thousand_concurrent_connections_complete_an_echo_round() {
    if std::env::var(CLIENT_ENV).is_ok() {
        return;
    }
    if !raise_nofile(N as u64 + 256) {
        println!("skipped: cannot raise RLIMIT_NOFILE to {} on this machine", N + 256);
        return;
    }
    with_timeout(Duration::from_secs(120), || {
        runtime(2).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "echo_client_process_helper", "--nocapture", "--test-threads=1"])
                .env(CLIENT_ENV, addr.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            // Every connection is accepted and held before any is echoed:
            // all N are open at once.
            let mut conns = Vec::with_capacity(N);
            for _ in 0..N {
                conns.push(listener.accept().await.unwrap().0);
            }
            let echoes: Vec<_> = conns
                .into_iter()
                .map(|s| {
                    corio::create_task(async move {
                        let mut buf = [0u8; 8];
                        s.read_exact(&mut buf).await.unwrap();
                        s.write_all(&buf).await.unwrap();
                    })
                })
                .collect();
            for e in echoes {
                e.await.unwrap();
            }
            let status = corio::to_thread(move || child.wait()).await.unwrap().unwrap();
            assert!(status.success(), "client process failed: {status}");
        })
    });
}
