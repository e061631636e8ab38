//! Command-line options of `compare`.

use corio_bench::Workload;
use corio_bench::params::{MEMORY_TASKS, MEMORY_TASKS_QUICK};

/// One row of the table: a timed workload or the idle-task memory row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Timed(Workload),
    /// hyper "Hello, World!" served in a child process, loaded by another:
    /// two rows, wall time and the server's CPU time per request.
    Http,
    Memory,
}

impl Item {
    pub fn name(self) -> &'static str {
        match self {
            Item::Timed(w) => w.name(),
            Item::Http => "http",
            Item::Memory => "memory",
        }
    }

    fn all() -> Vec<Item> {
        Workload::ALL.into_iter().map(Item::Timed).chain([Item::Http, Item::Memory]).collect()
    }

    fn from_name(name: &str) -> Option<Item> {
        Item::all().into_iter().find(|i| i.name() == name)
    }
}

/// What to run.
#[derive(Debug)]
pub struct Options {
    pub workers: usize,
    pub reps: usize,
    pub items: Vec<Item>,
    pub quick: bool,
    pub memory_tasks: u64,
    pub memory_reps: usize,
    /// The arguments as given, for the report.
    pub args: Vec<String>,
}

/// The hidden mode in which `compare` measures one runtime's memory.
#[derive(Debug)]
pub struct MemoryChild {
    pub runtime: String,
    pub tasks: u64,
    pub workers: usize,
}

/// Either a full run, a memory child, an `http` row's server or client, or
/// one runtime alone for a profiler.
#[derive(Debug)]
pub enum Mode {
    Compare(Options),
    MemoryChild(MemoryChild),
    /// `--http-server RUNTIME`: serve the `http` row's hello on a loopback
    /// port, print `port N`, exit when stdin closes.
    HttpServer {
        runtime: String,
        workers: usize,
    },
    /// `--http-client PORT`: run the `http` row's client, print `wall_ns N`.
    HttpClient {
        port: u16,
    },
    /// `--profile RUNTIME`: run the chosen timed workloads `reps` times on that runtime only,
    /// no warm-up, no table (for `perf record` or `valgrind --tool=callgrind`).
    Profile(String, Options),
}

fn usage() -> ! {
    eprintln!("usage: compare [--workers N] [--reps R] [--only W[,W…]] [--quick] [--memory-tasks N]");
    eprintln!("       compare --profile RUNTIME --only W[,W…] [--workers N] [--reps R]");
    eprintln!("rows: {}", Item::all().iter().map(|i| i.name()).collect::<Vec<_>>().join(", "));
    std::process::exit(2);
}

fn number<T: std::str::FromStr>(value: Option<String>) -> T {
    value.and_then(|v| v.parse().ok()).unwrap_or_else(|| usage())
}

pub fn parse() -> Mode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.clone().into_iter();
    let (mut workers, mut reps, mut items, mut quick) = (num_cpus::get(), None, None, false);
    let (mut memory_tasks, mut child, mut profile) = (None, None, None);
    let (mut http_server, mut http_client) = (None, None);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--workers" => workers = number(it.next()),
            "--reps" => reps = Some(number(it.next())),
            "--memory-tasks" => memory_tasks = Some(number(it.next())),
            "--memory-child" => child = Some(it.next().unwrap_or_else(|| usage())),
            "--http-server" => http_server = Some(it.next().unwrap_or_else(|| usage())),
            "--http-client" => http_client = Some(number(it.next())),
            "--profile" => profile = Some(it.next().unwrap_or_else(|| usage())),
            "--only" => {
                let list = it.next().unwrap_or_else(|| usage());
                items = Some(list.split(',').map(|n| Item::from_name(n).unwrap_or_else(|| usage())).collect());
            }
            "--quick" => quick = true,
            _ => usage(),
        }
    }
    let memory_tasks = memory_tasks.unwrap_or(if quick { MEMORY_TASKS_QUICK } else { MEMORY_TASKS });
    if let Some(runtime) = http_server {
        return Mode::HttpServer { runtime, workers };
    }
    if let Some(port) = http_client {
        return Mode::HttpClient { port };
    }
    if let Some(runtime) = child {
        return Mode::MemoryChild(MemoryChild { runtime, tasks: memory_tasks, workers });
    }
    let reps = reps.unwrap_or(if quick { 3 } else { 15 });
    if workers == 0 || reps == 0 || memory_tasks == 0 {
        usage();
    }
    let items = items.unwrap_or_else(Item::all);
    let memory_reps = if quick { 1 } else { 3 };
    let opts = Options { workers, reps, items, quick, memory_tasks, memory_reps, args };
    match profile {
        Some(runtime) => Mode::Profile(runtime, opts),
        None => Mode::Compare(opts),
    }
}
