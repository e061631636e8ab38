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
