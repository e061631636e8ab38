//! Observability (API.md §13): a TCP echo server under load, printing
//! `Handle::metrics()` once a second as a table, with one deliberately
//! blocking task that debug mode catches (look for the "slow poll" and
//! "blocked worker" lines on stderr).
//!
//! With no arguments it runs a bounded self-test: three seconds of load,
//! three tables, then a task dump, and checks the counters moved. With
//! `--forever` it keeps going until killed (send SIGQUIT for a task dump).

use std::time::Duration;

use corio::net::{TcpListener, TcpStream};

fn table_header() -> String {
    format!(
        "{:>4} {:>6} {:>8} {:>5} {:>5} {:>5} {:>6} | {}",
        "sec", "live", "spawned", "inj", "blk", "io", "timers", "per worker: polls/steals/parks/queue/busy"
    )
}

fn table_row(sec: u64, m: &corio::RuntimeMetrics) -> String {
    let per_worker: Vec<String> = (0..m.workers())
        .map(|i| {
            format!(
                "{}/{}/{}/{}/{:.0?}",
                m.polls(i),
                m.steals(i),
                m.parks(i),
                m.local_queue_depth(i),
                m.busy_duration(i)
            )
        })
        .collect();
    format!(
        "{:>4} {:>6} {:>8} {:>5} {:>5} {:>5} {:>6} | {}",
        sec,
        m.live_tasks(),
        m.spawned_total(),
        m.injector_depth(),
        m.blocking_threads(),
        m.io_sources(),
        m.timers_pending(),
        per_worker.join("  ")
    )
}

async fn serve(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        corio::task::Builder::new()
            .name("echo-conn")
            .spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            })
            .detach();
    }
}

async fn client(port: u16, stop: std::sync::Arc<corio::sync::Event>) -> std::io::Result<u64> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut rounds = 0;
    let mut buf = [0u8; 64];
    while !stop.is_set() {
        stream.write_all(b"ping").await?;
        stream.read_exact(&mut buf[..4]).await?;
        rounds += 1;
        if rounds % 64 == 0 {
            corio::sleep(Duration::from_millis(1)).await;
        }
    }
    Ok(rounds)
}

fn main() -> std::io::Result<()> {
    let forever = std::env::args().any(|a| a == "--forever");
    let rt = corio::Builder::new().worker_threads(2).slow_poll_threshold(Duration::from_millis(100)).build()?;
    let handle = rt.handle();
    rt.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let server = corio::task::Builder::new().name("acceptor").spawn(serve(listener));
        let stop = std::sync::Arc::new(corio::sync::Event::new());
        let clients: Vec<_> = (0..8)
            .map(|i| corio::task::Builder::new().name(format!("client-{i}")).spawn(client(port, stop.clone())))
            .collect();
        // The mistake debug mode exists for: a blocking call inside a task.
        corio::task::Builder::new()
            .name("blocking-mistake")
            .spawn(async {
                corio::sleep(Duration::from_millis(1200)).await;
                std::thread::sleep(Duration::from_millis(400));
            })
            .detach();
        println!("{}", table_header());
        let mut sec = 0;
        while forever || sec < 3 {
            corio::sleep(Duration::from_secs(1)).await;
            sec += 1;
            println!("{}", table_row(sec, &handle.metrics()));
        }
        println!("task dump:\n{}", handle.dump());
        stop.set();
        let mut total = 0;
        for c in clients {
            total += c.await.expect("client task")?;
        }
        server.cancel();
        let m = handle.metrics();
        let polls: u64 = (0..m.workers()).map(|i| m.polls(i)).sum();
        println!("{total} echo round trips, {polls} polls, {} tasks spawned", m.spawned_total());
        assert!(total > 0 && polls > total && m.spawned_total() >= 10, "counters did not move: {m:?}");
        Ok(())
    })
}
