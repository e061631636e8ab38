//! criterion benches of the sync primitives (`channel`, `mutex`,
//! `semaphore`): corio's Queue, Mutex and Semaphore against tokio's mpsc,
//! Mutex and Semaphore and smol's async-channel and async-lock.
//!
//! `cargo bench -p corio-bench --bench sync [-- FILTER]`

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

use common::bench_kind;
use corio_bench::Kind;

fn sync(c: &mut Criterion) {
    bench_kind(c, Kind::Sync);
}

criterion_group!(benches, sync);
criterion_main!(benches);
