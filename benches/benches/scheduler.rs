//! criterion benches of the scheduler workloads, one group per workload
//! with corio, tokio and smol side by side on the same number of workers.
//!
//! `cargo bench -p corio-bench --bench scheduler [-- FILTER]`

use criterion::{Criterion, criterion_group, criterion_main};

use corio_bench::{Contender, CorioRt, SmolRt, TokioRt, Workload};

fn workers() -> usize {
    std::env::var("CORIO_BENCH_WORKERS").ok().and_then(|v| v.parse().ok()).unwrap_or_else(num_cpus::get)
}

fn scheduler(c: &mut Criterion) {
    let n = workers();
    let corio = CorioRt::new(n);
    let tokio = TokioRt::new(n);
    let smol = SmolRt::new(n);
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        group.sample_size(10);
        group.bench_function(CorioRt::NAME, |b| b.iter(|| corio.run(workload)));
        group.bench_function(TokioRt::NAME, |b| b.iter(|| tokio.run(workload)));
        group.bench_function(SmolRt::NAME, |b| b.iter(|| smol.run(workload)));
        group.finish();
    }
}

criterion_group!(benches, scheduler);
criterion_main!(benches);
