//! `corio::tls` and `ssl=` on the stream options (API.md §10). Each rule
//! has a test: a failed handshake never reaches the handler and the server
//! keeps serving; an untrusting client's error names why; a stalled
//! handshake is bounded by `tls_handshake_timeout`; `close` sends
//! `close_notify`. Certificates are made at run time with rcgen; loopback
//! only.
#![cfg(all(feature = "tls", not(corio_loom)))]

mod common;

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};
use corio::net::{TcpListener, TcpStream};
use corio::streams::{
    ConnectOptions, ServerOptions, StreamReader, StreamWriter, open_connection_with, start_server_with,
};
use corio::tls;
use futures_io::{AsyncRead, AsyncWrite};

/// A self-signed certificate for `localhost` and 127.0.0.1: (cert PEM, key PEM).
fn self_signed() -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

async fn read_to_end<S: AsyncRead + Unpin>(s: &mut S) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = poll_fn(|cx| Pin::new(&mut *s).poll_read(cx, &mut buf)).await?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

async fn write_all<S: AsyncWrite + Unpin>(s: &mut S, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *s).poll_write(cx, data)).await?;
        data = &data[n..];
    }
    poll_fn(|cx| Pin::new(&mut *s).poll_flush(cx)).await
}

async fn close<S: AsyncWrite + Unpin>(s: &mut S) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *s).poll_close(cx)).await
}

/// An echo server over TLS that counts the connections its handler saw.
async fn tls_echo_server(opts: ServerOptions) -> (corio::streams::Server, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let server = start_server_with(
        move |mut r: StreamReader, w: StreamWriter| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                while let Ok(line) = r.readline().await {
                    if line.is_empty() {
                        break;
                    }
                    w.write(&line);
                    if w.drain().await.is_err() {
                        break;
                    }
                }
                w.close();
                w.wait_closed().await;
            }
        },
        "127.0.0.1",
        0,
        opts,
    )
    .await
    .unwrap();
    (server, seen)
}

#[test]
fn streams_echo_over_tls_and_extra_info_shows_the_certificate() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (cert, key) = self_signed();
            let (server, seen) = tls_echo_server(
                ServerOptions::new().tls(tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap()).limit(300_000),
            )
            .await;
            let port = server.local_addrs()[0].port();
            let opts = ConnectOptions::new().tls(tls::client_config(cert.as_bytes()).unwrap());
            // The host passed is the name checked: "127.0.0.1" is in the SANs.
            let (r, w) = open_connection_with("127.0.0.1", port, opts.clone()).await.unwrap();
            let info = w.get_extra_info();
            assert_eq!(info.peername().unwrap().port(), port);
            assert_eq!(info.peer_certificates().map(<[_]>::len), Some(1));
            assert_eq!(info.alpn_protocol(), None);
            let big = vec![b'x'; 200_000];
            w.write(&big);
            w.write(b"\nhello\n");
            let r = r.with_limit(300_000);
            let mut r = r;
            assert_eq!(r.readline().await.unwrap().len(), 200_001);
            assert_eq!(r.readline().await.unwrap(), b"hello\n");
            w.close();
            w.wait_closed().await;
            // server_hostname overrides the name checked.
            let (mut r, w) = open_connection_with("127.0.0.1", port, opts.server_hostname("localhost")).await.unwrap();
            w.write(b"again\n");
            assert_eq!(r.readline().await.unwrap(), b"again\n");
            assert_eq!(seen.load(Ordering::SeqCst), 2);
            drop(w);
            server.close();
            server.wait_closed().await;
        })
    });
}

#[test]
fn connect_and_accept_negotiate_alpn() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (cert, key) = self_signed();
            let mut server_cfg = (*tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap()).clone();
            server_cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            let mut client_cfg = (*tls::client_config(cert.as_bytes()).unwrap()).clone();
            client_cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = corio::create_task(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut s = tls::accept(Arc::new(server_cfg), tcp).await.unwrap();
                assert_eq!(s.alpn_protocol(), Some(&b"http/1.1"[..]));
                assert!(s.peer_certificates().is_none());
                let got = read_to_end(&mut s).await.unwrap();
                write_all(&mut s, &got).await.unwrap();
                close(&mut s).await.unwrap();
            });
            let tcp = TcpStream::connect(addr).await.unwrap();
            let mut s = tls::connect(Arc::new(client_cfg), "localhost", tcp).await.unwrap();
            assert_eq!(s.get_ref().peer_addr().unwrap(), addr);
            assert_eq!(s.alpn_protocol(), Some(&b"http/1.1"[..]));
            assert_eq!(s.peer_certificates().unwrap().len(), 1);
            write_all(&mut s, b"ping").await.unwrap();
            close(&mut s).await.unwrap();
            assert_eq!(read_to_end(&mut s).await.unwrap(), b"ping");
            server.await.unwrap();
        })
    });
}

#[test]
fn an_untrusting_client_gets_an_error_naming_why_and_the_server_keeps_serving() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (cert, key) = self_signed();
            let (other_ca, _) = self_signed();
            let (server, seen) =
                tls_echo_server(ServerOptions::new().tls(tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap()))
                    .await;
            let port = server.local_addrs()[0].port();
            let untrusting = ConnectOptions::new().tls(tls::client_config(other_ca.as_bytes()).unwrap());
            let err = open_connection_with("127.0.0.1", port, untrusting).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
            assert!(err.to_string().contains("invalid peer certificate"), "{err}");
            // A name the certificate does not cover.
            let wrong_name =
                ConnectOptions::new().tls(tls::client_config(cert.as_bytes()).unwrap()).server_hostname("example.com");
            let err = open_connection_with("127.0.0.1", port, wrong_name).await.unwrap_err();
            assert!(err.to_string().contains("invalid peer certificate"), "{err}");
            // The handler never saw either; a trusting client is served.
            let (mut r, w) = open_connection_with(
                "127.0.0.1",
                port,
                ConnectOptions::new().tls(tls::client_config(cert.as_bytes()).unwrap()),
            )
            .await
            .unwrap();
            w.write(b"still serving\n");
            assert_eq!(r.readline().await.unwrap(), b"still serving\n");
            assert_eq!(seen.load(Ordering::SeqCst), 1);
            // wait_closed waits for the handlers: end the connection first.
            drop(w);
            server.close();
            server.wait_closed().await;
        })
    });
}

#[test]
fn a_plaintext_client_never_reaches_the_handler() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (cert, key) = self_signed();
            let (server, seen) =
                tls_echo_server(ServerOptions::new().tls(tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap()))
                    .await;
            let addr = server.local_addrs()[0];
            for _ in 0..3 {
                let mut tcp = TcpStream::connect(addr).await.unwrap();
                write_all(&mut tcp, b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
                // The server answers with an alert (or nothing) and closes.
                let _ = read_to_end(&mut tcp).await;
            }
            assert_eq!(seen.load(Ordering::SeqCst), 0);
            let opts = ConnectOptions::new().tls(tls::client_config(cert.as_bytes()).unwrap());
            let (mut r, w) = open_connection_with("127.0.0.1", addr.port(), opts).await.unwrap();
            w.write(b"ok\n");
            assert_eq!(r.readline().await.unwrap(), b"ok\n");
            assert_eq!(seen.load(Ordering::SeqCst), 1);
            // wait_closed waits for the handlers: end the connection first.
            drop(w);
            server.close();
            server.wait_closed().await;
        })
    });
}

#[test]
fn a_stalled_handshake_is_dropped_after_the_timeout() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (cert, key) = self_signed();
            let opts = ServerOptions::new()
                .tls(tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap())
                .tls_handshake_timeout(Duration::from_millis(200));
            let (server, seen) = tls_echo_server(opts).await;
            let addr = server.local_addrs()[0];
            // Connects and sends nothing: the server closes it (EOF or reset).
            let mut silent = TcpStream::connect(addr).await.unwrap();
            let _ = read_to_end(&mut silent).await;
            assert_eq!(seen.load(Ordering::SeqCst), 0);
            // The server is free for others meanwhile, and afterwards.
            let copts = ConnectOptions::new().tls(tls::client_config(cert.as_bytes()).unwrap());
            let (mut r, w) = open_connection_with("127.0.0.1", addr.port(), copts).await.unwrap();
            w.write(b"ok\n");
            assert_eq!(r.readline().await.unwrap(), b"ok\n");
            drop(w);
            server.close();
            server.wait_closed().await;
        })
    });
}

#[test]
fn a_client_handshake_against_a_silent_server_times_out() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (cert, _) = self_signed();
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let opts = ConnectOptions::new()
                .tls(tls::client_config(cert.as_bytes()).unwrap())
                .tls_handshake_timeout(Duration::from_millis(200));
            let err = open_connection_with("127.0.0.1", port, opts).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
            assert!(err.to_string().contains("TLS handshake"), "{err}");
            drop(listener);
        })
    });
}

#[test]
fn close_sends_close_notify_so_the_peer_reads_a_clean_eof() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (cert, key) = self_signed();
            let server = start_server_with(
                |mut r: StreamReader, w: StreamWriter| async move {
                    // The client's close_notify is a clean EOF here too.
                    assert_eq!(r.read_to_eof().await.unwrap(), b"from the client");
                    w.write(b"bye");
                    w.close();
                    w.wait_closed().await;
                },
                "127.0.0.1",
                0,
                ServerOptions::new().tls(tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap()),
            )
            .await
            .unwrap();
            let addr = server.local_addrs()[0];
            let tcp = TcpStream::connect(addr).await.unwrap();
            let mut s = tls::connect(tls::client_config(cert.as_bytes()).unwrap(), "localhost", tcp).await.unwrap();
            write_all(&mut s, b"from the client").await.unwrap();
            close(&mut s).await.unwrap();
            // rustls reports an EOF without close_notify as an error
            // (UnexpectedEof); Ok(..) here means close_notify came first.
            assert_eq!(read_to_end(&mut s).await.unwrap(), b"bye");
            server.close();
            server.wait_closed().await;
        })
    });
}

#[test]
fn an_eof_without_close_notify_is_an_unexpected_eof_error() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (cert, key) = self_signed();
            let server_cfg = tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap();
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = corio::create_task(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut s = tls::accept(server_cfg, tcp).await.unwrap();
                write_all(&mut s, b"truncated").await.unwrap();
                // Closes the socket under the session: no close_notify.
                drop(s.into_inner());
            });
            let opts = ConnectOptions::new().tls(tls::client_config(cert.as_bytes()).unwrap());
            let (mut r, _w) = open_connection_with("127.0.0.1", port, opts).await.unwrap();
            let mut got = Vec::new();
            let err = loop {
                match r.read(4096).await {
                    Ok(chunk) if chunk.is_empty() => panic!("a truncated stream read as a clean EOF"),
                    Ok(chunk) => got.extend_from_slice(&chunk),
                    Err(e) => break e,
                }
            };
            assert_eq!(got, b"truncated");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
            server.await.unwrap();
        })
    });
}

#[test]
fn tls_futures_are_send_and_the_types_send_sync_unpin() {
    fn auto<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    auto::<tls::TlsStream<TcpStream>>();
    auto::<ConnectOptions>();
    auto::<ServerOptions>();
    auto::<corio::streams::ExtraInfo>();
    fn send<T: Send>(_: &T) {}
    let cfg = tls::client_config(self_signed().0.as_bytes()).unwrap();
    runtime(1).block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        send(&tls::connect(cfg.clone(), "localhost", tcp));
        send(&open_connection_with("127.0.0.1", 1, ConnectOptions::new().tls(cfg)));
    });
}

#[test]
fn bad_pem_is_a_clear_error() {
    let err = tls::client_config(b"not a pem").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("CA"), "{err}");
    let (cert, _) = self_signed();
    let (_, other_key) = self_signed();
    let err = tls::server_config(cert.as_bytes(), b"").unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    let err = tls::server_config(cert.as_bytes(), other_key.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}
