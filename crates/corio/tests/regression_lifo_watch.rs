//! Regression: the LIFO-slot watcher cancelled a task it displaced.
//!
//! A parked worker that steals a stuck LIFO slot puts the stolen task into
//! its own slot. That slot is not always empty: the I/O driver, run by the
//! parked worker, can have woken a task into it meanwhile. The displaced
//! entry was dropped, and dropping a queued task cancels it — here, a
//! server's accept loop, so the listening socket closed under the clients
//! ("connection refused" / "reset by peer"). Found by the `http_status`
//! example's self-test (about one run in four failed on 2 workers).
//! Every test is bounded in time.
#![cfg(not(corio_loom))]

mod common;

use common::{LIMIT, runtime, with_timeout};

async fn get(port: u16) -> std::io::Result<Vec<u8>> {
    let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await?;
    writer.write(b"GET / HTTP/1.1\r\n\r\n");
    writer.drain().await?;
    let line = reader.readline().await?;
    writer.close();
    writer.wait_closed().await;
    Ok(line)
}

#[test]
fn a_stolen_lifo_entry_never_cancels_the_task_it_displaces() {
    with_timeout(LIMIT, || {
        // Each round is a fresh runtime: the race is at start-up, when the
        // accept loop's first wake-up lands in a LIFO slot.
        for round in 0..40 {
            let served = runtime(2).block_on(async {
                let server = corio::start_server(
                    |mut reader, writer| async move {
                        let _ = reader.readline().await;
                        let _ = reader.readline().await;
                        writer.write(b"HTTP/1.1 200 OK\r\n\r\n");
                        let _ = writer.drain().await;
                    },
                    "127.0.0.1",
                    0,
                )
                .await
                .expect("start_server");
                let port = server.local_addrs()[0].port();
                let results = corio::gather((0..4).map(|_| get(port))).await.expect("a client task failed");
                server.close();
                server.wait_closed().await;
                results
            });
            for r in served {
                let line = r.unwrap_or_else(|e| panic!("round {round}: a client failed: {e}"));
                assert_eq!(line, b"HTTP/1.1 200 OK\r\n", "round {round}");
            }
        }
    });
}
