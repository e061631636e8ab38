//! API.md §9, one test per rule, with children reaped through pidfds in the
//! reactor. `subprocess_sigchld.rs` runs the same cases with the SIGCHLD
//! reaper (`CORIO_SUBPROCESS_REAPER=sigchld`).

const REAPER: corio::subprocess::ReaperMode = corio::subprocess::ReaperMode::Pidfd;

include!("subprocess/cases.rs");
