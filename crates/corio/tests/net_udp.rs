//! `corio::net::UdpSocket` (API.md §7). Loopback only.
#![cfg(not(corio_loom))]

mod common;

use common::{LIMIT, runtime, with_timeout};
use corio::net::UdpSocket;

#[test]
fn send_to_and_recv_from_exchange_datagrams() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b_addr = b.local_addr().unwrap();
            assert_eq!(a.send_to(b"ping", b_addr).await.unwrap(), 4);
            let mut buf = [0u8; 16];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
            assert_eq!(from, a.local_addr().unwrap());
        })
    });
}

#[test]
fn connected_sockets_use_send_and_recv() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            a.connect(b.local_addr().unwrap()).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
            let waiter = corio::create_task(async move {
                let mut buf = [0u8; 16];
                let n = b.recv(&mut buf).await.unwrap();
                buf[..n].to_vec()
            });
            corio::sleep(std::time::Duration::from_millis(2)).await;
            a.send(b"hi").await.unwrap();
            assert_eq!(waiter.await.unwrap(), b"hi");
        })
    });
}

#[test]
fn send_to_a_host_name_resolves_it() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let port = b.local_addr().unwrap().port();
            a.send_to(b"x", ("localhost".to_string(), port)).await.ok();
        })
    });
}

#[test]
fn send_without_a_peer_is_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            assert!(a.send(b"x").await.is_err());
            assert!(a.peer_addr().is_err());
        })
    });
}
