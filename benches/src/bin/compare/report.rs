//! `target/corio-bench/report.md`: when, where, how, and the table.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::options::Options;
use crate::table::{self, Row};

/// `target/corio-bench`, found from this executable's place
/// (`target/release/compare`), so a shared `CARGO_TARGET_DIR` works too. A copy of the
/// binary outside a cargo target directory (no `CACHEDIR.TAG` two levels up) writes under
/// `./target` instead of next to wherever it was copied.
pub fn dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let target =
        exe.as_deref().and_then(Path::parent).and_then(Path::parent).filter(|t| t.join("CACHEDIR.TAG").exists());
    target.map_or_else(|| PathBuf::from("target"), Path::to_path_buf).join("corio-bench")
}

/// Now, as `YYYY-MM-DD HH:MM UTC`.
pub fn now_utc() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Cores, CPU model and kernel, as one line.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, v)| v.trim());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{} logical cores, {model}, Linux {}", num_cpus::get(), kernel.trim())
}

/// The command line that reproduces this run.
pub fn command(opts: &Options) -> String {
    let mut cmd = String::from("cargo run --release -p corio-bench --bin compare");
    if !opts.args.is_empty() {
        cmd += &format!(" -- {}", opts.args.join(" "));
    }
    cmd
}

/// Writes `report.md` into `dir` and returns its path.
pub fn write(
    dir: &Path,
    opts: &Options,
    rows: &[Row],
    notes: &[String],
    date: &str,
    wall_secs: f64,
) -> std::io::Result<PathBuf> {
    let mut md = String::from("# corio-bench report\n\n");
    md += &format!("- date: {date}\n- machine: {}\n", machine());
    md += &format!("- workers: {} per runtime (corio, tokio multi-thread, smol async-executor)\n", opts.workers);
    md += &format!(
        "- reps: {} timed rounds per workload after one warm-up round; runtimes interleaved round by round, \
         starting runtime rotated each round\n",
        opts.reps
    );
    if opts.items.contains(&crate::options::Item::Memory) {
        md += &format!(
            "- memory: {} idle tasks per runtime, each runtime in its own process, {} run(s) each\n",
            opts.memory_tasks, opts.memory_reps
        );
    }
    md += &format!("- command: `{}`\n- wall time: {wall_secs:.0} s\n\n", command(opts));
    md += "Cells: median (min–max). `corio/best`: corio's median over the best peer's median \
           (below 1.00, corio is faster or smaller). `n/a`: not available in this build.\n\n";
    md += &table::header();
    md += "\n";
    for row in rows {
        md += &table::line(row);
        md += "\n";
    }
    md += "\n";
    for note in notes {
        md += &format!("{note}\n\n");
    }
    md += "![corio / best peer](ratios.svg)\n";
    let path = dir.join("report.md");
    std::fs::write(&path, md)?;
    Ok(path)
}
