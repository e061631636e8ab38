//! The trait every runtime implements once.

use std::time::{Duration, Instant};

use crate::Workload;

/// One runtime, built once with `workers` worker threads, able to run every
/// workload. Each workload method panics if the workload's answer is wrong.
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
    /// See [`Workload::Gather1m`]: gathers `n` trivial tasks (`GATHER_TASKS`
    /// in the table; other sizes in the `scaling` binary).
    fn gather(&self, n: u64);
    /// See [`Workload::Timers`].
    fn timers(&self);
    /// See [`Workload::Echo`].
    fn echo(&self);
    /// See [`Workload::Channel`].
    fn channel(&self);
    /// See [`Workload::Mutex`].
    fn mutex(&self);
    /// See [`Workload::Semaphore`].
    fn semaphore(&self);

    /// Spawns `n` tasks that each wait on the runtime's own event primitive,
    /// waits until every one of them has been polled and is idle, calls
    /// `at_peak`, then releases them all and waits until every one ended.
    /// Returns the size of one task's future in bytes (what the runtime adds
    /// on top of it is the task's overhead).
    fn idle_tasks(&self, n: u64, at_peak: &mut dyn FnMut()) -> usize;

    /// Serves hyper's "Hello, World!" over HTTP/1.1 on `listener` (the
    /// `http` row, see [`crate::http`]) until the process exits.
    fn http_serve(&self, listener: std::net::TcpListener);

    /// Echoes every connection accepted on `listener` ([`crate::echo::serve`]
    /// per connection, a task each) until the process exits: the server of
    /// the `scaling echo` table, whose client runs in another process.
    fn echo_serve(&self, listener: std::net::TcpListener);

    /// Runs `workload` once.
    fn run(&self, workload: Workload) {
        match workload {
            Workload::SpawnLocal => self.spawn_local(),
            Workload::SpawnRemote => self.spawn_remote(),
            Workload::YieldMany => self.yield_many(),
            Workload::PingPong => self.ping_pong(),
            Workload::ChainedSpawn => self.chained_spawn(),
            Workload::Gather1m => self.gather(crate::params::GATHER_TASKS),
            Workload::Timers => self.timers(),
            Workload::Echo => self.echo(),
            Workload::Channel => self.channel(),
            Workload::Mutex => self.mutex(),
            Workload::Semaphore => self.semaphore(),
        }
    }

    /// Runs `workload` once and returns how long it took.
    fn time(&self, workload: Workload) -> Duration {
        let start = Instant::now();
        self.run(workload);
        start.elapsed()
    }
}
