//! The group-chat server of the asyncio tutorial (seed 003), in corio.
//!
//! The Python original:
//!
//! ```python
//! async def my_handle(client_reader, client_writer):
//!     while True:
//!         data = await client_reader.read(1024)
//!         client = client_writer.get_extra_info("peername")
//!         msg = "{} your message {}".format(client, data.decode()).encode()
//!         client_writer.write(msg)
//!         await client_writer.drain()
//! ```
//!
//! Self-contained: it starts the server on a free loopback port, connects
//! two clients that chat for a few rounds, then stops. `--serve` keeps the
//! server running on 127.0.0.1:9998 until Ctrl-C (the seed's
//! `loop.run_forever()`).

use corio::streams::{StreamReader, StreamWriter};

async fn my_handle(mut reader: StreamReader, writer: StreamWriter) {
    let client = writer.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into());
    loop {
        let data = match reader.read(1024).await {
            Ok(d) if !d.is_empty() => d,
            _ => break, // EOF or error: the client left
        };
        let msg = format!("{client} your message {}", String::from_utf8_lossy(&data));
        writer.write(msg.as_bytes());
        if writer.drain().await.is_err() {
            break;
        }
    }
}

async fn chat_client(name: &str, port: u16) -> std::io::Result<()> {
    let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await?;
    for round in 0..3 {
        writer.write(format!("hello #{round} from {name}").as_bytes());
        writer.drain().await?;
        let reply = reader.read(1024).await?;
        println!("[{name}] {}", String::from_utf8_lossy(&reply));
    }
    writer.close();
    writer.wait_closed().await;
    Ok(())
}

fn main() -> std::io::Result<()> {
    let serve = std::env::args().any(|a| a == "--serve");
    corio::run(async move {
        let port = if serve { 9998 } else { 0 };
        let server = corio::start_server(my_handle, "127.0.0.1", port).await?;
        println!("current socket: {server:?}");
        if serve {
            corio::signal::ctrl_c().await?;
        } else {
            let port = server.local_addrs()[0].port();
            let alice = corio::create_task(async move { chat_client("alice", port).await });
            let bob = corio::create_task(async move { chat_client("bob", port).await });
            alice.await.expect("alice's task")?;
            bob.await.expect("bob's task")?;
        }
        server.close();
        server.wait_closed().await;
        Ok(())
    })
}
