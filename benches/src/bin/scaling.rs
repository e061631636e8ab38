//! How the costs grow with the size of the job, for corio, tokio and smol:
//!
//! ```text
//! cargo run --release -p corio-bench --bin scaling -- gather [--workers N] [--reps R] [--sizes A,B,…]
//! cargo run --release -p corio-bench --bin scaling -- gather-instructions [--sizes A,B,…]
//! cargo run --release -p corio-bench --bin scaling -- echo [--workers N] [--reps R] [--conns A,B,…] [--total T]
//! ```
//!
//! - `gather`: wall time per task of gathering 10k, 100k, 1M and 4M trivial
//!   tasks (the `gather_1m` workload at other sizes), each runtime built once,
//!   the runtimes taking turns (a size under 1M gathered over and over, so
//!   that every sample covers 1M tasks); every column also as its growth
//!   over the smallest size.
//! - `gather-instructions`: instructions per task (valgrind's callgrind, one
//!   worker), each size in its own process, counted two ways: a run gathering
//!   once minus a run that gathers no task (start-up and exit are not
//!   counted, but what exit does with the tasks' memory is), and a run
//!   gathering twice minus a run gathering once (the steady state: one more
//!   round on a warm runtime, nothing of start-up or exit).
//! - `echo`: the echo server of each runtime in a process of its own, loaded
//!   by one runtime-neutral client process (one epoll loop,
//!   [`corio_bench::echo::load`]) with 50, 1,000 and 5,000 connections and the
//!   same total of round trips; the client's wall time and the server's CPU
//!   time (`/proc/PID/stat`) per round trip.

use std::process::Command;
use std::time::Duration;

use corio_bench::{Contender, CorioRt, SmolRt, TokioRt, child, echo};

const RUNTIMES: [&str; 3] = [CorioRt::NAME, TokioRt::NAME, SmolRt::NAME];

struct Opts {
    workers: usize,
    reps: usize,
    sizes: Vec<u64>,
    conns: Vec<u64>,
    total: u64,
}

fn usage() -> ! {
    eprintln!("usage: scaling gather [--workers N] [--reps R] [--sizes A,B,…]");
    eprintln!("       scaling gather-instructions [--sizes A,B,…]");
    eprintln!("       scaling echo [--workers N] [--reps R] [--conns A,B,…] [--total T]");
    std::process::exit(2)
}

fn number<T: std::str::FromStr>(arg: Option<&String>) -> T {
    arg.and_then(|a| a.parse().ok()).unwrap_or_else(|| usage())
}

fn list(arg: Option<&String>) -> Vec<u64> {
    let v: Vec<u64> =
        arg.map(|a| a.split(',').map(|x| x.parse().unwrap_or_else(|_| usage())).collect()).unwrap_or_default();
    if v.is_empty() || v.contains(&0) {
        usage()
    }
    v
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Hidden child modes.
    match args.first().map(String::as_str) {
        Some("--gather-child") => {
            return gather_child(&args[1], number(args.get(2)), args.get(3).map_or(1, |r| number(Some(r))));
        }
        Some("--echo-server") => return echo_server(&args[1], number(args.get(2))),
        Some("--echo-client") => return echo_client(number(args.get(1)), number(args.get(2)), number(args.get(3))),
        _ => {}
    }
    let Some(cmd) = args.first() else { usage() };
    let mut o = Opts {
        workers: num_cpus::get(),
        reps: 3,
        sizes: vec![10_000, 100_000, 1_000_000, 4_000_000],
        conns: vec![50, 1_000, 5_000],
        total: 250_000,
    };
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--workers" => o.workers = number(it.next()),
            "--reps" => o.reps = number(it.next()),
            "--sizes" => o.sizes = list(it.next()),
            "--conns" => o.conns = list(it.next()),
            "--total" => o.total = number(it.next()),
            _ => usage(),
        }
    }
    if o.workers == 0 || o.reps == 0 || o.total == 0 {
        usage()
    }
    match cmd.as_str() {
        "gather" => gather(&o),
        "gather-instructions" => gather_instructions(&o),
        "echo" => echo_table(&o),
        _ => usage(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn size_name(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Tasks one `gather` sample covers at least: a smaller size is gathered
/// that many times over (10k: 100 gathers), so every sample lasts about as
/// long. One gather of 10k tasks takes about a millisecond, within the
/// scatter of a shared machine: single runs read 89 to 157 ns per task.
const SAMPLE_TASKS: u64 = 1_000_000;

/// Wall time per task, median of `reps`, the runtimes taking turns.
fn gather(o: &Opts) {
    type Run = Box<dyn Fn(u64) -> Duration>;
    fn entrant<R: Contender + 'static>(workers: usize) -> Run {
        let rt = R::new(workers);
        Box::new(move |n| {
            let repeat = (SAMPLE_TASKS / n).max(1);
            let t = std::time::Instant::now();
            for _ in 0..repeat {
                rt.gather(n);
            }
            t.elapsed() / repeat as u32
        })
    }
    let runs = [entrant::<CorioRt>(o.workers), entrant::<TokioRt>(o.workers), entrant::<SmolRt>(o.workers)];
    println!(
        "gather: wall time per task, ns (median of {}; growth over {}), {} workers",
        o.reps,
        size_name(o.sizes[0]),
        o.workers
    );
    println!("| tasks | corio | tokio | smol | corio/best |");
    println!("|---|---:|---:|---:|---:|");
    let mut first: Option<[f64; 3]> = None;
    for &n in &o.sizes {
        let mut samples: [Vec<f64>; 3] = Default::default();
        for round in 0..=o.reps {
            for k in 0..3 {
                let i = (round + k) % 3;
                let ns = runs[i](n).as_nanos() as f64 / n as f64;
                if round > 0 {
                    samples[i].push(ns);
                }
            }
        }
        let m = samples.map(median);
        let base = *first.get_or_insert(m);
        let cell = |i: usize| format!("{:.1} (×{:.2})", m[i], m[i] / base[i]);
        println!("| {} | {} | {} | {} | {:.2} |", size_name(n), cell(0), cell(1), cell(2), m[0] / m[1].min(m[2]));
    }
}

/// `--gather-child RUNTIME N [ROUNDS]`: gathers N tasks ROUNDS times (once by
/// default) on one worker.
fn gather_child(runtime: &str, n: u64, rounds: u64) {
    corio_bench::with_contender!(runtime, R => {
        let rt = R::new(1);
        for _ in 0..rounds {
            if n > 0 {
                rt.gather(n);
            }
        }
    })
}

/// Instructions of one `--gather-child` run under callgrind.
fn instructions(runtime: &str, n: u64, rounds: u64) -> u64 {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(&exe)
        .args(["--gather-child", runtime, &n.to_string(), &rounds.to_string()])
        .output()
        .expect("run valgrind (is it installed?)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "callgrind of {runtime} gathering {n} failed: {stderr}");
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected : ").and_then(|(_, v)| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no instruction count from callgrind: {stderr}"))
}

fn gather_instructions(o: &Opts) {
    println!("gather: instructions per task (callgrind, 1 worker)");
    println!("once = (gather once − gather nothing) / N; again = (gather twice − gather once) / N");
    println!(
        "| tasks | corio once | tokio once | smol once | corio/best | corio again | tokio again | smol again | corio/best |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let base = RUNTIMES.map(|rt| instructions(rt, 0, 1));
    let ratio = |v: &[f64; 3]| v[0] / v[1].min(v[2]);
    for &n in &o.sizes {
        let once_total = RUNTIMES.map(|rt| instructions(rt, n, 1));
        let twice_total = RUNTIMES.map(|rt| instructions(rt, n, 2));
        let per = |a: [u64; 3], b: [u64; 3]| [0, 1, 2].map(|i| a[i].saturating_sub(b[i]) as f64 / n as f64);
        let once = per(once_total, base);
        let again = per(twice_total, once_total);
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} | {:.0} | {:.2} |",
            size_name(n),
            once[0],
            once[1],
            once[2],
            ratio(&once),
            again[0],
            again[1],
            again[2],
            ratio(&again)
        );
    }
}

/// `--echo-server RUNTIME WORKERS`: echoes on a loopback port until stdin
/// closes (`child.rs`).
fn echo_server(runtime: &str, workers: usize) {
    corio_bench::with_contender!(runtime, R => {
        let rt = R::new(workers);
        child::serve_until_stdin_closes(|listener| rt.echo_serve(listener))
    })
}

/// `--echo-client PORT CONNECTIONS ROUNDS`: prints the load's wall time.
fn echo_client(port: u16, connections: usize, rounds: u64) {
    child::print_wall(echo::load(std::net::SocketAddr::from(([127, 0, 0, 1], port)), connections, rounds));
}

/// One load of `runtime`'s server: (client wall time, server CPU time).
fn echo_run(runtime: &str, workers: usize, conns: u64, rounds: u64) -> (Duration, Duration) {
    let workers = workers.to_string();
    child::load(&format!("{runtime} echo"), &["--echo-server", runtime, &workers], |port| {
        vec!["--echo-client".into(), port.into(), conns.to_string(), rounds.to_string()]
    })
}

fn echo_table(o: &Opts) {
    println!(
        "echo: {} round trips of {} B in all, server in its own process ({} workers), one epoll client process; \
         wall ms / server CPU µs per round trip (median of {})",
        o.total,
        corio_bench::params::ECHO_MESSAGE,
        o.workers,
        o.reps
    );
    println!("| connections | corio | tokio | smol | corio/best wall | corio/best CPU |");
    println!("|---|---:|---:|---:|---:|---:|");
    for &conns in &o.conns {
        let rounds = (o.total / conns).max(1);
        let mut wall: [Vec<f64>; 3] = Default::default();
        let mut cpu: [Vec<f64>; 3] = Default::default();
        for round in 0..=o.reps {
            for k in 0..3 {
                let i = (round + k) % 3;
                let (w, c) = echo_run(RUNTIMES[i], o.workers, conns, rounds);
                if round > 0 {
                    wall[i].push(w.as_secs_f64() * 1e3);
                    cpu[i].push(c.as_secs_f64() * 1e6 / (conns * rounds) as f64);
                }
            }
        }
        let (w, c) = (wall.map(median), cpu.map(median));
        let cell = |i: usize| format!("{:.0} / {:.2}", w[i], c[i]);
        println!(
            "| {conns} | {} | {} | {} | {:.2} | {:.2} |",
            cell(0),
            cell(1),
            cell(2),
            w[0] / w[1].min(w[2]),
            c[0] / c[1].min(c[2])
        );
    }
}
