//! The memory row: resident memory per idle task.
//!
//! `compare` runs each runtime in a child process of its own (it re-executes
//! itself with `--memory-child RUNTIME`), so one runtime's freed-but-kept heap
//! cannot count against another. The child builds its runtime, warms the
//! allocator with a small round, reads `VmRSS`, spawns the tasks through
//! [`Contender::idle_tasks`], reads `VmRSS` again once every task is parked,
//! then releases them and checks they all ended.

use crate::Contender;

/// What one child measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryReport {
    /// Idle tasks spawned.
    pub tasks: u64,
    /// `VmRSS` before spawning, in bytes.
    pub rss_before: u64,
    /// `VmRSS` with every task idle, in bytes.
    pub rss_peak: u64,
    /// The size of one task's future, in bytes.
    pub future_bytes: u64,
}

impl MemoryReport {
    /// Resident bytes per idle task.
    pub fn bytes_per_task(&self) -> f64 {
        self.rss_peak.saturating_sub(self.rss_before) as f64 / self.tasks as f64
    }

    /// The one line a child prints for its parent.
    pub fn to_line(&self) -> String {
        let MemoryReport { tasks, rss_before, rss_peak, future_bytes } = self;
        format!("memory tasks={tasks} rss_before={rss_before} rss_peak={rss_peak} future_bytes={future_bytes}")
    }

    /// Parses [`to_line`](MemoryReport::to_line)'s output.
    pub fn from_line(line: &str) -> Option<MemoryReport> {
        let rest = line.strip_prefix("memory ")?;
        let mut fields = rest.split(' ').map(|kv| kv.split_once('=').and_then(|(_, v)| v.parse().ok()));
        let (tasks, rss_before, rss_peak, future_bytes) =
            (fields.next()??, fields.next()??, fields.next()??, fields.next()??);
        Some(MemoryReport { tasks, rss_before, rss_peak, future_bytes })
    }
}

/// This process's resident set size in bytes, from `/proc/self/status`.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc/self/status");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("VmRSS value");
    kib * 1024
}

/// Measures `tasks` idle tasks on runtime `R` with `workers` workers.
pub fn measure<R: Contender>(workers: usize, tasks: u64) -> MemoryReport {
    let rt = R::new(workers);
    // Warm-up: the workers' thread-local state and the allocator's arenas
    // exist before the first reading.
    rt.idle_tasks(1_000, &mut || {});
    let rss_before = rss_bytes();
    let mut rss_peak = 0;
    let future_bytes = rt.idle_tasks(tasks, &mut || rss_peak = rss_bytes()) as u64;
    MemoryReport { tasks, rss_before, rss_peak, future_bytes }
}

/// Blocks the calling thread until `counter` reaches `n`.
pub fn wait_for_count(counter: &std::sync::atomic::AtomicU64, n: u64) {
    while counter.load(std::sync::atomic::Ordering::Acquire) < n {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}
