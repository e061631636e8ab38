//! `SO_REUSEPORT`: one server per core, each on its own single-worker
//! runtime, all bound to the same port with `ServerOptions::reuse_port`.
//! The kernel spreads incoming connections across them (by a hash of each
//! connection's addresses) — the way a corio server scales past one
//! process or one runtime.
//!
//! With no arguments it runs a bounded self-test: 1,000 connections, each
//! told which server took it, and a report of the spread. `--serve [port]`
//! keeps the servers running (try `nc 127.0.0.1 <port>` a few times) until
//! Ctrl-C. `--connections N` changes the count.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use corio::streams::{ServerOptions, StreamReader, StreamWriter};

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve = args.iter().any(|a| a == "--serve");
    let arg_after = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1).cloned());
    let port: u16 = if serve { arg_after("--serve").and_then(|p| p.parse().ok()).unwrap_or(8889) } else { 0 };
    let connections: usize = arg_after("--connections").and_then(|c| c.parse().ok()).unwrap_or(1000);
    // One server per core; at least two, so that there is something to share.
    let n = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);

    let opts = ServerOptions::new().reuse_port(true).backlog(1024);
    let counts: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
    let mut servers = Vec::new();
    let mut port = port;
    for id in 0..n {
        let rt = corio::Runtime::builder().worker_threads(1).thread_name(format!("server-{id}")).build()?;
        let counts = counts.clone();
        let opts = opts.clone();
        // The accept loop and the handlers run on `rt`'s worker after
        // block_on returns.
        let server = rt.block_on(corio::streams::start_server_with(
            move |r: StreamReader, w: StreamWriter| {
                counts[id].fetch_add(1, Ordering::Relaxed);
                async move {
                    drop(r);
                    w.write(format!("{id}\n").as_bytes());
                    w.close();
                    w.wait_closed().await;
                }
            },
            "127.0.0.1",
            port,
            opts,
        ))?;
        port = server.local_addrs()[0].port();
        servers.push((rt, server));
    }
    println!("{n} servers (one runtime each) share 127.0.0.1:{port} with SO_REUSEPORT");

    if serve {
        println!("serving; Ctrl-C to stop");
        corio::run(async { corio::signal::ctrl_c().await })?;
    } else {
        // A client runtime of its own: `connections` connections, 50 at a
        // time, each reading which server answered.
        let answered: Vec<usize> = corio::run(async move {
            let limit = Arc::new(corio::sync::Semaphore::new(50));
            let tasks: Vec<_> = (0..connections)
                .map(|_| {
                    let limit = limit.clone();
                    corio::create_task(async move {
                        let _permit = limit.acquire().await;
                        let (mut r, w) = corio::open_connection("127.0.0.1", port).await?;
                        let line = r.readline().await?;
                        drop(w);
                        let id: usize = String::from_utf8_lossy(&line).trim().parse().map_err(io::Error::other)?;
                        io::Result::Ok(id)
                    })
                })
                .collect();
            let mut ids = Vec::with_capacity(connections);
            for t in tasks {
                ids.push(t.await.expect("client task")?);
            }
            io::Result::Ok(ids)
        })?;
        let mut per_server = vec![0usize; n];
        for id in answered {
            per_server[id] += 1;
        }
        for (id, c) in per_server.iter().enumerate() {
            let bar = "#".repeat(c * 50 / connections.max(1));
            println!("server {id}: {c:5} connections {bar}");
        }
        let total: usize = per_server.iter().sum();
        assert_eq!(total, connections, "every connection was answered");
        for (id, c) in counts.iter().enumerate() {
            assert_eq!(c.load(Ordering::Relaxed), per_server[id], "server {id}'s own count agrees");
        }
        if connections >= 100 {
            assert!(per_server.iter().all(|&c| c > 0), "the kernel spread connections across all servers");
        }
        println!("reuse_port self-test: {total} connections spread by the kernel over {n} servers");
    }
    for (rt, server) in servers {
        rt.block_on(async move {
            server.close();
            server.wait_closed().await;
        });
    }
    Ok(())
}
