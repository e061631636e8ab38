//! Runs every workload on corio, tokio and smol side by side and prints one
//! row per workload: median, min and max per runtime, and corio's ratio to
//! the best of the other two (below 1.00: corio is faster). Writes
//! `target/corio-bench/report.md` and `target/corio-bench/ratios.svg`.
//!
//! ```text
//! cargo run --release -p corio-bench --bin compare [-- --workers N --reps R --only W[,W…] --quick]
//! ```
//!
//! The runtimes take turns round by round (corio, tokio, smol, then tokio,
//! smol, corio, …), after one untimed warm-up round each, so drift on a
//! shared machine hits all three alike. The memory row runs each runtime in
//! a child process of its own (`--memory-child NAME`).

mod chart;
mod options;
mod report;
mod table;

use std::process::Command;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use corio_bench::memory::{self, MemoryReport};
use corio_bench::{Contender, CorioRt, SmolRt, TokioRt, Workload, child, http};
use options::{Item, MemoryChild, Mode, Options};
use table::{RUNTIMES, Row, Summary};

/// One runtime, type-erased for the round-robin loop.
struct Entrant {
    time: Box<dyn Fn(Workload) -> Duration>,
}

fn entrant<R: Contender + 'static>(workers: usize) -> Entrant {
    let rt = R::new(workers);
    Entrant { time: Box::new(move |w| rt.time(w)) }
}

fn main() {
    match options::parse() {
        Mode::MemoryChild(child) => memory_child(&child),
        Mode::HttpServer { runtime, workers } => http_server(&runtime, workers),
        Mode::HttpClient { port } => http_client(port),
        Mode::Compare(opts) => compare(&opts),
        Mode::Profile(runtime, opts) => profile(&runtime, &opts),
    }
}

fn profile(runtime: &str, opts: &Options) {
    let e = corio_bench::with_contender!(runtime, R => entrant::<R>(opts.workers));
    for item in &opts.items {
        let Item::Timed(w) = *item else { continue };
        let times: Vec<String> = (0..opts.reps).map(|_| format!("{:.2}", (e.time)(w).as_secs_f64() * 1e3)).collect();
        println!("{runtime} {}: {} ms", w.name(), times.join(" "));
    }
}

fn memory_child(child: &MemoryChild) {
    let report = corio_bench::with_contender!(&child.runtime, R => memory::measure::<R>(child.workers, child.tasks));
    println!("{}", report.to_line());
}

fn steps(opts: &Options) -> u64 {
    let timed = opts.items.iter().filter(|i| matches!(i, Item::Timed(_))).count() as u64;
    let memory = if opts.items.contains(&Item::Memory) { opts.memory_reps as u64 * 3 } else { 0 };
    let http = u64::from(opts.items.contains(&Item::Http));
    (timed + http) * (opts.reps as u64 + 1) * 3 + memory
}

fn progress(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}").expect("template");
    bar.set_style(style.progress_chars("=> "));
    bar
}

fn compare(opts: &Options) {
    let start = Instant::now();
    let date = report::now_utc();
    println!("corio-bench compare — {date}");
    println!("{}", report::machine());
    println!("command: {}", report::command(opts));
    let mode = if opts.quick { ", quick mode" } else { "" };
    println!("workers: {}, reps: {} (+1 warm-up), runtimes interleaved round by round{mode}", opts.workers, opts.reps);
    let bar = progress(steps(opts));
    bar.set_message("building runtimes");
    let entrants =
        [entrant::<CorioRt>(opts.workers), entrant::<TokioRt>(opts.workers), entrant::<SmolRt>(opts.workers)];
    println!("{}", table::header());
    let (mut rows, mut notes) = (Vec::new(), Vec::new());
    for &item in &opts.items {
        let new_rows = match item {
            Item::Timed(w) => vec![timed_row(w, &entrants, opts.reps, &bar)],
            Item::Http => {
                let (wall, cpu, note) = http_rows(opts, &bar);
                notes.push(note);
                vec![wall, cpu]
            }
            Item::Memory => {
                let (row, note) = memory_row(opts, &bar);
                notes.push(note);
                vec![row]
            }
        };
        for row in new_rows {
            bar.suspend(|| println!("{}", table::line(&row)));
            rows.push(row);
        }
    }
    bar.finish_and_clear();
    drop(entrants);
    for note in &notes {
        println!("{note}");
    }
    let wall = start.elapsed().as_secs_f64();
    println!("wall time: {wall:.1} s");
    write_outputs(opts, &rows, &notes, &date, wall);
}

fn timed_row(w: Workload, entrants: &[Entrant; 3], reps: usize, bar: &ProgressBar) -> Row {
    let mut samples: [Vec<Duration>; 3] = Default::default();
    for round in 0..=reps {
        for k in 0..entrants.len() {
            // Rotate who goes first each round, so no runtime always follows the same one.
            let i = (round + k) % entrants.len();
            bar.set_message(format!("{} · {}{}", w.name(), RUNTIMES[i], if round == 0 { " (warm-up)" } else { "" }));
            let e = &entrants[i];
            let t = (e.time)(w);
            if round > 0 {
                samples[i].push(t);
            }
            bar.inc(1);
        }
    }
    Row::timed(w.name(), &samples)
}

/// The memory row, and a note giving each runtime's future size (the rest of
/// a task's bytes is the runtime's own overhead, plus what its waiter allocates).
fn memory_row(opts: &Options, bar: &ProgressBar) -> (Row, String) {
    let mut samples: [Vec<f64>; 3] = Default::default();
    let mut future_bytes = [0; 3];
    for _ in 0..opts.memory_reps {
        for (i, rt) in RUNTIMES.iter().enumerate() {
            bar.set_message(format!("memory · {rt} ({} idle tasks, own process)", opts.memory_tasks));
            let report = memory_child_run(rt, opts);
            samples[i].push(report.bytes_per_task());
            future_bytes[i] = report.future_bytes;
            bar.inc(1);
        }
    }
    let sizes: Vec<String> = RUNTIMES.iter().zip(future_bytes).map(|(rt, b)| format!("{rt} {b} B")).collect();
    let note = format!(
        "memory: {} idle tasks per runtime, each in its own process; the idle future's own size: {}",
        opts.memory_tasks,
        sizes.join(", ")
    );
    (Row { name: "memory", unit: "B/task", cells: samples.each_ref().map(|s| Summary::of(s)) }, note)
}

/// `--http-server RUNTIME`: builds the runtime and serves on a loopback
/// port until stdin closes (`child.rs`).
fn http_server(runtime: &str, workers: usize) {
    corio_bench::with_contender!(runtime, R => {
        let rt = R::new(workers);
        child::serve_until_stdin_closes(|listener| rt.http_serve(listener))
    })
}

/// `--http-client PORT`: the runtime-neutral client; prints its wall time.
fn http_client(port: u16) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    child::print_wall(http::client(addr, http::HTTP_CONNECTIONS, http::HTTP_REQUESTS));
}

/// One run of the `http` row on `runtime`: (client wall time, server CPU time).
fn http_run(runtime: &str, opts: &Options) -> (Duration, Duration) {
    let workers = opts.workers.to_string();
    child::load(&format!("{runtime} http"), &["--http-server", runtime, "--workers", &workers], |port| {
        vec!["--http-client".into(), port.into()]
    })
}

/// The `http` rows: the client's wall time, and the server's CPU time per
/// request (the runtime's own cost; the wall time also carries the
/// client's, the same for all three).
fn http_rows(opts: &Options, bar: &ProgressBar) -> (Row, Row, String) {
    let mut wall: [Vec<Duration>; 3] = Default::default();
    let mut cpu: [Vec<f64>; 3] = Default::default();
    let requests = (http::HTTP_CONNECTIONS * http::HTTP_REQUESTS) as f64;
    for round in 0..=opts.reps {
        for k in 0..RUNTIMES.len() {
            let i = (round + k) % RUNTIMES.len();
            bar.set_message(format!("http · {}{}", RUNTIMES[i], if round == 0 { " (warm-up)" } else { "" }));
            let (w, c) = http_run(RUNTIMES[i], opts);
            if round > 0 {
                wall[i].push(w);
                cpu[i].push(c.as_secs_f64() * 1e6 / requests);
            }
            bar.inc(1);
        }
    }
    let note = format!(
        "http: hyper 1.x \"Hello, World!\" over HTTP/1.1 (corio: corio::hyper, tokio: hyper-util TokioIo, \
         smol: a futures-io adapter), server in its own process, {} keep-alive connections × {} requests from a \
         client of plain threads and blocking sockets in another; `http` is the client's wall time, `http_cpu` \
         the server's user+system CPU time (/proc/PID/stat) per request",
        http::HTTP_CONNECTIONS,
        http::HTTP_REQUESTS
    );
    let cpu_row = Row { name: "http_cpu", unit: "µs/req", cells: cpu.each_ref().map(|s| Summary::of(s)) };
    (Row::timed("http", &wall), cpu_row, note)
}

fn memory_child_run(runtime: &str, opts: &Options) -> MemoryReport {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .args(["--memory-child", runtime, "--memory-tasks", &opts.memory_tasks.to_string()])
        .args(["--workers", &opts.workers.to_string()])
        .output()
        .expect("spawn memory child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "memory child for {runtime} failed: {}", String::from_utf8_lossy(&out.stderr));
    stdout.lines().find_map(MemoryReport::from_line).unwrap_or_else(|| panic!("no report from {runtime}: {stdout}"))
}

fn write_outputs(opts: &Options, rows: &[Row], notes: &[String], date: &str, wall: f64) {
    let dir = report::dir();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return;
    }
    let title = format!("corio / best of tokio, smol — {} workers, {date}", opts.workers);
    match chart::write(&dir.join("ratios.svg"), rows, &title) {
        Ok(()) => println!("chart: {}", dir.join("ratios.svg").display()),
        Err(e) => eprintln!("chart not written: {e}"),
    }
    match report::write(&dir, opts, rows, notes, date, wall) {
        Ok(path) => println!("report: {}", path.display()),
        Err(e) => eprintln!("report not written: {e}"),
    }
}
