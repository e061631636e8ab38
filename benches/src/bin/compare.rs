//! Runs every workload on corio, tokio and smol side by side and prints one
//! row per workload: the median time per runtime, and corio's ratio to the
//! best of the other two (below 1.00: corio is faster).
//!
//! ```text
//! cargo run --release -p corio-bench --bin compare [-- --workers N --reps R --only W --quick]
//! ```
//!
//! The runtimes take turns round by round (corio, tokio, smol, corio, …),
//! so drift on a shared machine hits all three alike.

use std::time::Duration;

use corio_bench::{Contender, CorioRt, SmolRt, TokioRt, Workload};

struct Options {
    workers: usize,
    reps: usize,
    only: Option<Workload>,
}

fn usage() -> ! {
    eprintln!("usage: compare [--workers N] [--reps R] [--only WORKLOAD] [--quick]");
    eprintln!("workloads: {}", Workload::ALL.map(|w| w.name()).join(", "));
    std::process::exit(2);
}

fn parse_options() -> Options {
    let mut opts = Options { workers: num_cpus::get(), reps: 15, only: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| args.next().unwrap_or_else(|| panic!("{arg} needs {what}"));
        match arg.as_str() {
            "--workers" => opts.workers = value("a number").parse().unwrap_or_else(|_| usage()),
            "--reps" => opts.reps = value("a number").parse().unwrap_or_else(|_| usage()),
            "--only" => opts.only = Some(Workload::from_name(&value("a workload")).unwrap_or_else(|| usage())),
            "--quick" => opts.reps = 5,
            "--help" | "-h" => usage(),
            _ => usage(),
        }
    }
    if opts.workers == 0 || opts.reps == 0 {
        usage();
    }
    opts
}

fn median(xs: &mut [Duration]) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    let opts = parse_options();
    let corio = CorioRt::new(opts.workers);
    let tokio = TokioRt::new(opts.workers);
    let smol = SmolRt::new(opts.workers);
    println!("workers: {}, reps: {} (median of each, runtimes interleaved)", opts.workers, opts.reps);
    println!("{:<14} {:>11} {:>11} {:>11} {:>14}", "workload", "corio ms", "tokio ms", "smol ms", "corio/best");
    let workloads: Vec<Workload> = match opts.only {
        Some(w) => vec![w],
        None => Workload::ALL.to_vec(),
    };
    for workload in workloads {
        // One untimed warm-up round each.
        corio.run(workload);
        tokio.run(workload);
        smol.run(workload);
        let (mut c, mut t, mut s) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..opts.reps {
            c.push(corio.time(workload));
            t.push(tokio.time(workload));
            s.push(smol.time(workload));
        }
        let (c, t, s) = (median(&mut c), median(&mut t), median(&mut s));
        let best = t.min(s);
        let ratio = c.as_secs_f64() / best.as_secs_f64();
        println!("{:<14} {:>11} {:>11} {:>11} {:>14.2}", workload.name(), ms(c), ms(t), ms(s), ratio);
    }
}
