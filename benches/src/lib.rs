//! corio-bench: the workloads of `DESIGN.md`, written once per runtime
//! (corio, tokio's multi-thread runtime, smol's `async-executor` on N
//! threads) with the same parameters and the same number of workers.
//!
//! Every workload checks its own answer, so a broken runtime cannot look
//! fast. The criterion benches (`benches/scheduler.rs`) and the `compare`
//! binary both drive the workloads through [`Workload`] and [`Contender`].

pub mod runtimes;

use std::time::{Duration, Instant};

pub use runtimes::{CorioRt, SmolRt, TokioRt};

/// The scheduler workloads (DESIGN.md, "Performance targets").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Inside the runtime, spawn 100,000 trivial tasks, await all handles.
    SpawnLocal,
    /// Spawn 100,000 trivial tasks from a thread outside the runtime, await all.
    SpawnRemote,
    /// 200 tasks × 1,000 `yield_now`.
    YieldMany,
    /// 1,000 tasks × 100 rounds: spawn a peer, exchange two oneshot messages.
    PingPong,
    /// A chain of 1,000 tasks each spawning the next, 100 times.
    ChainedSpawn,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 5] =
        [Workload::SpawnLocal, Workload::SpawnRemote, Workload::YieldMany, Workload::PingPong, Workload::ChainedSpawn];

    /// The workload's name in DESIGN.md.
    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnLocal => "spawn_local",
            Workload::SpawnRemote => "spawn_remote",
            Workload::YieldMany => "yield_many",
            Workload::PingPong => "ping_pong",
            Workload::ChainedSpawn => "chained_spawn",
        }
    }

    /// Parses a name as printed by [`name`](Workload::name).
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }
}

/// Parameters, shared by every runtime.
pub mod params {
    /// Tasks in `spawn_local` and `spawn_remote`.
    pub const SPAWN_TASKS: u64 = 100_000;
    /// Tasks in `yield_many`.
    pub const YIELD_TASKS: u64 = 200;
    /// Yields per task in `yield_many`.
    pub const YIELDS: u64 = 1_000;
    /// Tasks in `ping_pong`.
    pub const PING_TASKS: u64 = 1_000;
    /// Rounds per task in `ping_pong`.
    pub const PING_ROUNDS: u64 = 100;
    /// Length of one chain in `chained_spawn`.
    pub const CHAIN_LEN: u64 = 1_000;
    /// Chains in `chained_spawn`, one after the other.
    pub const CHAINS: u64 = 100;
}

/// One runtime, built once with `workers` worker threads, able to run every
/// workload. Each method panics if the workload's answer is wrong.
pub trait Contender {
    /// The runtime's name in tables.
    const NAME: &'static str;

    /// Builds the runtime.
    fn new(workers: usize) -> Self;

    /// See [`Workload::SpawnLocal`].
    fn spawn_local(&self);
    /// See [`Workload::SpawnRemote`].
    fn spawn_remote(&self);
    /// See [`Workload::YieldMany`].
    fn yield_many(&self);
    /// See [`Workload::PingPong`].
    fn ping_pong(&self);
    /// See [`Workload::ChainedSpawn`].
    fn chained_spawn(&self);

    /// Runs `workload` once.
    fn run(&self, workload: Workload) {
        match workload {
            Workload::SpawnLocal => self.spawn_local(),
            Workload::SpawnRemote => self.spawn_remote(),
            Workload::YieldMany => self.yield_many(),
            Workload::PingPong => self.ping_pong(),
            Workload::ChainedSpawn => self.chained_spawn(),
        }
    }

    /// Runs `workload` once and returns how long it took.
    fn time(&self, workload: Workload) -> Duration {
        let start = Instant::now();
        self.run(workload);
        start.elapsed()
    }
}

/// The sum `0 + 1 + … + (n - 1)`, the answer of the spawn workloads.
pub fn triangle(n: u64) -> u64 {
    n * (n - 1) / 2
}
