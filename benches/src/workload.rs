//! The names, kinds and one-line descriptions of the timed workloads.

/// The timed workloads (DESIGN.md, "Performance targets", plus the sync
/// micro-benches). The idle-task memory row is not a timed
/// workload: see [`crate::memory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// 100,000 tasks each sleeping 0–10 ms (deterministic pseudo-random durations).
    Timers,
    /// 4 producers × 250,000 messages into a bounded(1024) queue, 1 consumer.
    Channel,
    /// 50 TCP connections × 2,000 round trips of 64 bytes over loopback.
    Echo,
    /// Gather 1,000,000 trivial tasks.
    Gather1m,
    /// 1,000,000 uncontended async `Mutex` lock/unlock pairs in one task.
    Mutex,
    /// 4 tasks × 50,000 acquire/yield/release on a `Semaphore(2)`.
    Semaphore,
}

/// Which criterion bench file a workload belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Spawning, waking, yielding: `benches/scheduler.rs`.
    Scheduler,
    /// Timers and sockets: `benches/io.rs`.
    Io,
    /// Channels, locks, semaphores: `benches/sync.rs`.
    Sync,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 11] = [
        Workload::SpawnLocal,
        Workload::SpawnRemote,
        Workload::YieldMany,
        Workload::PingPong,
        Workload::ChainedSpawn,
        Workload::Gather1m,
        Workload::Timers,
        Workload::Echo,
        Workload::Channel,
        Workload::Mutex,
        Workload::Semaphore,
    ];

    /// The workload's name in DESIGN.md and in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnLocal => "spawn_local",
            Workload::SpawnRemote => "spawn_remote",
            Workload::YieldMany => "yield_many",
            Workload::PingPong => "ping_pong",
            Workload::ChainedSpawn => "chained_spawn",
            Workload::Timers => "timers",
            Workload::Channel => "channel",
            Workload::Echo => "echo",
            Workload::Gather1m => "gather_1m",
            Workload::Mutex => "mutex",
            Workload::Semaphore => "semaphore",
        }
    }

    /// Parses a name as printed by [`name`](Workload::name).
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The bench file the workload belongs to.
    pub fn kind(self) -> Kind {
        match self {
            Workload::SpawnLocal
            | Workload::SpawnRemote
            | Workload::YieldMany
            | Workload::PingPong
            | Workload::ChainedSpawn
            | Workload::Gather1m => Kind::Scheduler,
            Workload::Timers | Workload::Echo => Kind::Io,
            Workload::Channel | Workload::Mutex | Workload::Semaphore => Kind::Sync,
        }
    }
}
