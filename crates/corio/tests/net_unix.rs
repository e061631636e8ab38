//! `corio::net::{UnixListener, UnixStream, UnixDatagram}` (API.md §7).
//! Every socket path is unique and removed at the end.
#![cfg(not(corio_loom))]

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{LIMIT, runtime, with_timeout};
use corio::net::{UnixDatagram, UnixListener, UnixStream};

/// A unique socket path, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        TempPath(std::env::temp_dir().join(format!("corio-{tag}-{}-{n}.sock", std::process::id())))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn listener_accepts_and_streams_echo() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let path = TempPath::new("stream");
            let listener = UnixListener::bind(&path.0).unwrap();
            let p = path.0.clone();
            let client = corio::create_task(async move {
                let s = UnixStream::connect(p).await.unwrap();
                s.write_all(b"over unix").await.unwrap();
                let mut buf = [0u8; 9];
                s.read_exact(&mut buf).await.unwrap();
                buf
            });
            let (server, _addr) = listener.accept().await.unwrap();
            let mut buf = [0u8; 9];
            server.read_exact(&mut buf).await.unwrap();
            server.write_all(&buf).await.unwrap();
            assert_eq!(&client.await.unwrap(), b"over unix");
            assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.0.as_path()));
        })
    });
}

#[test]
fn connect_to_a_missing_path_is_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let path = TempPath::new("missing");
            assert!(UnixStream::connect(&path.0).await.is_err());
        })
    });
}

#[test]
fn binding_an_existing_path_is_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let path = TempPath::new("twice");
            let _a = UnixListener::bind(&path.0).unwrap();
            assert_eq!(UnixListener::bind(&path.0).unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
        })
    });
}

#[test]
fn pair_is_connected_both_ways() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            a.write_all(b"ab").await.unwrap();
            b.write_all(b"ba").await.unwrap();
            let mut buf = [0u8; 2];
            b.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ab");
            a.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ba");
            a.shutdown(std::net::Shutdown::Write).unwrap();
            assert_eq!(b.read(&mut buf).await.unwrap(), 0);
        })
    });
}

#[test]
fn datagrams_by_path_by_pair_and_unbound() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let path = TempPath::new("dgram");
            let server = UnixDatagram::bind(&path.0).unwrap();
            let client = UnixDatagram::unbound().unwrap();
            client.send_to(b"to path", &path.0).await.unwrap();
            let mut buf = [0u8; 16];
            let (n, _from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"to path");

            let (a, b) = UnixDatagram::pair().unwrap();
            a.send(b"paired").await.unwrap();
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"paired");

            client.connect(&path.0).unwrap();
            client.send(b"connected").await.unwrap();
            let n = server.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"connected");
        })
    });
}

#[test]
fn datagram_send_to_a_missing_path_is_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let path = TempPath::new("nobody");
            let s = UnixDatagram::unbound().unwrap();
            assert!(s.send_to(b"x", &path.0).await.is_err());
        })
    });
}
