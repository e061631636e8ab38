//! What the three criterion bench files share: one group per workload, the
//! three runtimes side by side, each built once outside the timed region.

use criterion::Criterion;

use corio_bench::{Contender, CorioRt, Kind, SmolRt, TokioRt, Workload};

/// Worker threads per runtime: `CORIO_BENCH_WORKERS`, else every core.
fn workers() -> usize {
    std::env::var("CORIO_BENCH_WORKERS").ok().and_then(|v| v.parse().ok()).unwrap_or_else(num_cpus::get)
}

fn bench<R: Contender>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &R,
    w: Workload,
) {
    group.bench_function(R::NAME, |b| b.iter(|| rt.run(w)));
}

/// Benches every workload of `kind` on corio, tokio and smol.
pub fn bench_kind(c: &mut Criterion, kind: Kind) {
    let n = workers();
    let (corio, tokio, smol) = (CorioRt::new(n), TokioRt::new(n), SmolRt::new(n));
    for workload in Workload::ALL.into_iter().filter(|w| w.kind() == kind) {
        let mut group = c.benchmark_group(workload.name());
        group.sample_size(10);
        bench(&mut group, &corio, workload);
        bench(&mut group, &tokio, workload);
        bench(&mut group, &smol, workload);
        group.finish();
    }
}
