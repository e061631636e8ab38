//! The two ends of the `echo` workload, written once for every stream that
//! implements `futures_io::{AsyncRead, AsyncWrite}` (corio's and smol's
//! sockets). tokio's sockets implement tokio's own traits, so `tokio_rt.rs`
//! repeats these two functions line for line against `tokio::io`.

use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::params::{ECHO_MESSAGE, ECHO_ROUNDS};

/// The message client `conn` sends in round `round`: distinct per connection
/// and round, so a reply mixed up between connections is caught.
pub fn message(conn: u64, round: u64) -> [u8; ECHO_MESSAGE] {
    let mut msg = [0u8; ECHO_MESSAGE];
    msg[..8].copy_from_slice(&conn.to_le_bytes());
    msg[8..16].copy_from_slice(&round.to_le_bytes());
    for (i, b) in msg.iter_mut().enumerate().skip(16) {
        *b = (conn as u8).wrapping_mul(31).wrapping_add(round as u8).wrapping_add(i as u8);
    }
    msg
}

/// The server side of one connection: writes back whatever it reads, until
/// the client closes. Returns the bytes echoed.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> u64 {
    let mut buf = [0u8; 1024];
    let mut echoed = 0;
    loop {
        let n = stream.read(&mut buf).await.expect("echo server read");
        if n == 0 {
            return echoed;
        }
        stream.write_all(&buf[..n]).await.expect("echo server write");
        echoed += n as u64;
    }
}

/// The client side of connection `conn`: `ECHO_ROUNDS` round trips, each
/// reply checked. Returns the round trips done.
pub async fn client<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, conn: u64) -> u64 {
    let mut reply = [0u8; ECHO_MESSAGE];
    for round in 0..ECHO_ROUNDS {
        let msg = message(conn, round);
        stream.write_all(&msg).await.expect("echo client write");
        stream.read_exact(&mut reply).await.expect("echo client read");
        assert_eq!(reply, msg, "echo reply of connection {conn}, round {round}");
    }
    ECHO_ROUNDS
}

/// The runtime-neutral load of the `scaling echo` table: one thread, non-blocking
/// std sockets on an epoll set (`polling`), `connections` connections to `addr`
/// doing `rounds` round trips each, all at once, every reply checked. Returns
/// the time from the first message to the last reply.
///
/// One event loop holds thousands of connections (threads could not), and
/// being the same program for every server it costs each runtime the same.
pub fn load(addr: std::net::SocketAddr, connections: usize, rounds: u64) -> std::time::Duration {
    use std::io::{ErrorKind, Read, Write};
    use std::net::TcpStream;

    struct Conn {
        stream: TcpStream,
        round: u64,
        got: usize,
        reply: [u8; ECHO_MESSAGE],
    }

    fn send(conn: &mut Conn, id: u64) {
        let msg = message(id, conn.round);
        // The peer has echoed everything sent so far, so the send buffer is
        // empty and 64 bytes go out in one call.
        match conn.stream.write(&msg) {
            Ok(n) if n == msg.len() => {}
            other => panic!("echo load: connection {id} could not send round {}: {other:?}", conn.round),
        }
    }

    let poller = polling::Poller::new().expect("echo load: epoll");
    let mut conns: Vec<Conn> = (0..connections)
        .map(|id| {
            let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("echo load: connection {id}: {e}"));
            stream.set_nodelay(true).expect("nodelay");
            stream.set_nonblocking(true).expect("nonblocking");
            Conn { stream, round: 0, got: 0, reply: [0; ECHO_MESSAGE] }
        })
        .collect();
    for (id, conn) in conns.iter().enumerate() {
        // SAFETY: every socket is deleted from the poller below, before it is dropped.
        unsafe { poller.add(&conn.stream, polling::Event::readable(id)) }.expect("echo load: epoll add");
    }
    let start = std::time::Instant::now();
    for (id, conn) in conns.iter_mut().enumerate() {
        send(conn, id as u64);
    }
    let mut open = connections;
    let mut events = polling::Events::new();
    while open > 0 {
        events.clear();
        let n = poller.wait(&mut events, Some(std::time::Duration::from_secs(30))).expect("echo load: epoll wait");
        assert!(n > 0, "echo load: no reply for 30 s with {open} connections still running");
        for ev in events.iter() {
            let id = ev.key;
            let conn = &mut conns[id];
            loop {
                match conn.stream.read(&mut conn.reply[conn.got..]) {
                    Ok(0) => panic!("echo load: the server closed connection {id}"),
                    Ok(n) => conn.got += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => panic!("echo load: connection {id}: {e}"),
                }
                if conn.got == ECHO_MESSAGE {
                    assert_eq!(conn.reply, message(id as u64, conn.round), "echo reply of connection {id}");
                    conn.got = 0;
                    conn.round += 1;
                    if conn.round == rounds {
                        open -= 1;
                        break;
                    }
                    send(conn, id as u64);
                }
            }
            if conn.round < rounds {
                poller.modify(&conn.stream, polling::Event::readable(id)).expect("echo load: epoll modify");
            }
        }
    }
    let elapsed = start.elapsed();
    for conn in &conns {
        poller.delete(&conn.stream).expect("echo load: epoll delete");
    }
    elapsed
}
