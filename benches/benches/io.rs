//! criterion benches of the timer and socket workloads (`timers`, `echo`),
//! corio, tokio and smol side by side.
//!
//! `cargo bench -p corio-bench --bench io [-- FILTER]`

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

use common::bench_kind;
use corio_bench::Kind;

fn io(c: &mut Criterion) {
    bench_kind(c, Kind::Io);
}

criterion_group!(benches, io);
criterion_main!(benches);
