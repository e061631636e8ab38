//! Subprocesses — asyncio's `create_subprocess_exec`,
//! `create_subprocess_shell` and `asyncio.subprocess.Process`.
//!
//! ```no_run
//! use corio::subprocess::create_subprocess_exec;
//!
//! corio::run(async {
//!     let mut proc = create_subprocess_exec("ls", ["-l"]).await.unwrap();
//!     let out = proc.communicate(None).await.unwrap();
//!     println!("{}", String::from_utf8_lossy(&out.stdout));
//!     assert!(out.status.success());
//! });
//! ```
//!
//! - The child's stdin, stdout and stderr (when piped) are the same
//!   [`StreamWriter`](crate::streams::StreamWriter) /
//!   [`StreamReader`](crate::streams::StreamReader) as a socket's, over
//!   non-blocking pipes in the reactor.
//! - Children are reaped by the runtime's driver — a pidfd per child in the
//!   reactor (Linux ≥ 5.3), else a SIGCHLD listener that checks the live
//!   children (`CORIO_SUBPROCESS_REAPER=sigchld` forces it) — never by a
//!   thread per child.
//! - A dropped [`Process`] leaves no zombie; with
//!   [`Command::kill_on_drop(true)`](Command::kill_on_drop) it is killed
//!   first. Children still running when the runtime shuts down keep running
//!   (unless killed on drop) and are reaped by one process-wide
//!   `corio-reaper` thread, started only then.
//! - Writing to a child that exited is `BrokenPipe`, never a SIGPIPE, even
//!   where SIGPIPE has its default action.

pub use corio_io::process::{
    Command, ExitStatus, Output, Process, Stdio, create_subprocess_exec, create_subprocess_shell,
};
#[doc(hidden)]
pub use corio_io::process::{ReaperMode, adopted_children, reaper_mode, set_reaper_mode};
