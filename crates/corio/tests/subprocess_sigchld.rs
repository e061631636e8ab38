//! `subprocess.rs`'s cases with the SIGCHLD fallback reaper (what a kernel
//! without pidfd gets; the same as `CORIO_SUBPROCESS_REAPER=sigchld`).

const REAPER: corio::subprocess::ReaperMode = corio::subprocess::ReaperMode::Sigchld;

include!("subprocess/cases.rs");
