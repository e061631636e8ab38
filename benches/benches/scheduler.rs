//! criterion benches of the scheduler workloads, one group per workload
//! with corio, tokio and smol side by side on the same number of workers.
//!
//! `cargo bench -p corio-bench --bench scheduler [-- FILTER]`
//! (`CORIO_BENCH_WORKERS=N` sets the worker count; default: all cores.)

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

use common::bench_kind;
use corio_bench::Kind;

fn scheduler(c: &mut Criterion) {
    bench_kind(c, Kind::Scheduler);
}

criterion_group!(benches, scheduler);
criterion_main!(benches);
