//! An echo server on asyncio's streams. With no arguments it runs a short
//! self-test (a server on a free loopback port, a few clients, every line
//! echoed) and exits; `--serve [port]` serves on 127.0.0.1 until Ctrl-C or
//! SIGTERM.

use corio::ReturnWhen;
use corio::signal::{SignalKind, signal};
use corio::streams::{StreamReader, StreamWriter};

async fn echo(mut reader: StreamReader, writer: StreamWriter) {
    loop {
        match reader.readline().await {
            Ok(line) if !line.is_empty() => {
                writer.write(&line);
                if writer.drain().await.is_err() {
                    return;
                }
            }
            // EOF, an over-long line, or a broken connection.
            _ => return,
        }
    }
}

async fn self_test(port: u16) -> std::io::Result<()> {
    let clients: Vec<_> = (0..8)
        .map(|i| {
            corio::create_task(async move {
                let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await?;
                for j in 0..100 {
                    let line = format!("client {i} line {j}\n");
                    writer.write(line.as_bytes());
                    writer.drain().await?;
                    let back = reader.readline().await?;
                    assert_eq!(back, line.as_bytes());
                }
                writer.close();
                writer.wait_closed().await;
                std::io::Result::Ok(())
            })
        })
        .collect();
    for c in clients {
        c.await.expect("client task")?;
    }
    println!("echo self-test: 8 clients x 100 lines echoed");
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve = args.first().is_some_and(|a| a == "--serve");
    let port: u16 = if serve { args.get(1).and_then(|p| p.parse().ok()).unwrap_or(8888) } else { 0 };
    corio::run(async move {
        let server = corio::start_server(echo, "127.0.0.1", port).await?;
        if serve {
            println!("serving on {:?}; Ctrl-C or SIGTERM to stop", server.local_addrs());
            let mut term = signal(SignalKind::terminate())?;
            let mut int = signal(SignalKind::interrupt())?;
            // asyncio: `await asyncio.wait([term, int], return_when=FIRST_COMPLETED)`.
            let term = corio::create_task(async move { term.recv().await });
            let int = corio::create_task(async move { int.recv().await });
            let (_done, pending) = corio::wait([term, int], ReturnWhen::FirstCompleted).await;
            // Dropping the other listener's task cancels it.
            drop(pending);
        } else {
            self_test(server.local_addrs()[0].port()).await?;
        }
        server.close();
        server.wait_closed().await;
        Ok(())
    })
}
