//! Parameters, shared by every runtime.

use std::time::Duration;

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
/// Tasks in `gather_1m`.
pub const GATHER_TASKS: u64 = 1_000_000;

/// Tasks in `timers`.
pub const TIMER_TASKS: u64 = 100_000;
/// The longest sleep in `timers`, in microseconds (10 ms).
pub const TIMER_MAX_MICROS: u64 = 10_000;

/// Producers in `channel`.
pub const CHANNEL_PRODUCERS: u64 = 4;
/// Messages per producer in `channel`.
pub const CHANNEL_MESSAGES: u64 = 250_000;
/// The channel's bound in `channel`.
pub const CHANNEL_CAPACITY: usize = 1024;

/// Connections in `echo`.
pub const ECHO_CONNECTIONS: u64 = 50;
/// Round trips per connection in `echo`.
pub const ECHO_ROUNDS: u64 = 2_000;
/// Bytes per message in `echo`.
pub const ECHO_MESSAGE: usize = 64;

/// Lock/unlock pairs in `mutex`.
pub const MUTEX_LOCKS: u64 = 1_000_000;
/// Tasks in `semaphore`.
pub const SEMAPHORE_TASKS: u64 = 4;
/// Acquire/release rounds per task in `semaphore`.
pub const SEMAPHORE_ROUNDS: u64 = 50_000;
/// The semaphore's permits in `semaphore`.
pub const SEMAPHORE_PERMITS: usize = 2;

/// Idle tasks in the memory row.
pub const MEMORY_TASKS: u64 = 1_000_000;
/// Idle tasks in the memory row under `compare --quick`.
pub const MEMORY_TASKS_QUICK: u64 = 200_000;

/// The sleep of task `i` in `timers`: a splitmix64 hash of `i`, so the
/// durations look random but are the same on every runtime and every run.
pub fn timer_delay(i: u64) -> Duration {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Duration::from_micros(z % (TIMER_MAX_MICROS + 1))
}

/// The answer of `channel`: every producer `p` sends `p * CHANNEL_MESSAGES + i`
/// for `i` in `0..CHANNEL_MESSAGES`, so the consumer's sum is this triangle.
pub fn channel_sum() -> u64 {
    crate::triangle(CHANNEL_PRODUCERS * CHANNEL_MESSAGES)
}
