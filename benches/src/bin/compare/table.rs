//! Samples, their summary, and the table's rows (printed as a markdown table
//! so the same lines serve the terminal and `report.md`).

use std::time::Duration;

/// The runtimes, in column order; corio first, its peers after.
pub const RUNTIMES: [&str; 3] = ["corio", "tokio", "smol"];

/// Median, min and max of one runtime's samples.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut xs = samples.to_vec();
        xs.sort_by(f64::total_cmp);
        let mid = xs.len() / 2;
        let median = if xs.len() % 2 == 1 { xs[mid] } else { (xs[mid - 1] + xs[mid]) / 2.0 };
        Some(Summary { median, min: xs[0], max: xs[xs.len() - 1] })
    }
}

/// One finished row.
#[derive(Debug)]
pub struct Row {
    pub name: &'static str,
    pub unit: &'static str,
    /// One entry per runtime of [`RUNTIMES`]; `None`: the runtime cannot run it (`n/a`).
    pub cells: [Option<Summary>; 3],
}

impl Row {
    /// A timed row, samples in milliseconds.
    pub fn timed(name: &'static str, samples: &[Vec<Duration>; 3]) -> Row {
        let cells =
            samples.each_ref().map(|s| Summary::of(&s.iter().map(|d| d.as_secs_f64() * 1e3).collect::<Vec<_>>()));
        Row { name, unit: "ms", cells }
    }

    /// The best peer's name and median, if any peer ran.
    pub fn best_peer(&self) -> Option<(&'static str, f64)> {
        (1..RUNTIMES.len())
            .filter_map(|i| self.cells[i].map(|s| (RUNTIMES[i], s.median)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// corio's median over the best peer's: below 1.00 corio is faster (or smaller).
    pub fn ratio(&self) -> Option<f64> {
        let corio = self.cells[0]?;
        let (_, best) = self.best_peer()?;
        Some(corio.median / best)
    }
}

const NAME_W: usize = 13;
const UNIT_W: usize = 6;
const CELL_W: usize = 28;
const RATIO_W: usize = 10;
const PEER_W: usize = 9;

fn cell(summary: Option<Summary>) -> String {
    match summary {
        Some(s) if s.max >= 10_000.0 => format!("{:.0} ({:.0}–{:.0})", s.median, s.min, s.max),
        Some(s) => format!("{:.2} ({:.2}–{:.2})", s.median, s.min, s.max),
        None => "n/a".to_string(),
    }
}

/// The header and separator lines.
pub fn header() -> String {
    let mut line = format!("| {:<NAME_W$} | {:<UNIT_W$} |", "workload", "unit");
    for rt in RUNTIMES {
        line += &format!(" {:>CELL_W$} |", format!("{rt} median (min–max)"));
    }
    line += &format!(" {:>RATIO_W$} | {:<PEER_W$} |", "corio/best", "best peer");
    let mut sep = format!("|{}|{}|", "-".repeat(NAME_W + 2), "-".repeat(UNIT_W + 2));
    for _ in RUNTIMES {
        sep += &format!("{}:|", "-".repeat(CELL_W + 1));
    }
    sep += &format!("{}:|{}|", "-".repeat(RATIO_W + 1), "-".repeat(PEER_W + 2));
    format!("{line}\n{sep}")
}

/// One row's line.
pub fn line(row: &Row) -> String {
    let mut line = format!("| {:<NAME_W$} | {:<UNIT_W$} |", row.name, row.unit);
    for c in row.cells {
        line += &format!(" {:>CELL_W$} |", cell(c));
    }
    let ratio = row.ratio().map_or("n/a".to_string(), |r| format!("{r:.2}"));
    let peer = row.best_peer().map_or("n/a", |(name, _)| name);
    line + &format!(" {ratio:>RATIO_W$} | {peer:<PEER_W$} |")
}
