//! Subprocesses — asyncio's `create_subprocess_exec` / `_shell` and
//! `asyncio.subprocess.Process` — with the child's stdin, stdout and stderr
//! as [`StreamWriter`] / [`StreamReader`] over non-blocking pipes in the
//! reactor.
//!
//! # Rules
//!
//! 1. Children are reaped by the driver, never by a thread per child. With
//!    a pidfd (`pidfd_open`, Linux ≥ 5.3) the child's pidfd is registered in
//!    the reactor: it becomes readable when the child exits and the waiter
//!    then reaps it with `waitpid(pid, WNOHANG)`. Without one (or with
//!    `CORIO_SUBPROCESS_REAPER=sigchld` in the environment, read once per
//!    process), every child goes into the runtime's SIGCHLD list: a task
//!    listening for SIGCHLD (signal-hook-registry) checks each listed child
//!    with `waitpid(pid, WNOHANG)` on every delivery and wakes its waiter.
//! 2. Only the holder of the child's lock calls `waitpid` or `kill` on its
//!    pid, and `kill` is sent only while the child is not yet reaped, so a
//!    signal never reaches a recycled pid.
//! 3. A `Process` dropped before its child was reaped leaves no zombie: the
//!    child is killed first with `kill_on_drop(true)`; then (pidfd) a small
//!    detached task waits for the pidfd and reaps it, or (SIGCHLD) the child
//!    stays in the runtime's list and the next scan reaps it.
//! 4. Runtime shutdown: children of dropped `Process`es that are still
//!    running (and the children of `Process`es whose runtime is gone) are
//!    adopted by one process-wide `corio-reaper` thread, started only then,
//!    which checks them with `waitpid(WNOHANG)` every few milliseconds and
//!    ends when none is left. A child is never killed at shutdown unless
//!    its `Process` had `kill_on_drop(true)` and is dropped.

mod pipe;

use std::ffi::OsStr;
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::pin::pin;
use std::process::Child;
use std::task::{Poll, Waker};
use std::time::Duration;

pub use std::process::{ExitStatus, Output, Stdio};

use crate::driver::IoHandle;
use crate::loom::{Arc, AtomicBool, AtomicU8, Mutex, Ordering};
use crate::reactor::registration::PollEvented;
use crate::reactor::scheduled_io::Direction;
use crate::signal::{Signal, SignalKind};
use crate::streams::{StreamReader, StreamWriter};
use pipe::{PipeReader, PipeWriter};

/// How children are reaped (rule 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub enum ReaperMode {
    /// A pidfd per child in the reactor.
    Pidfd,
    /// SIGCHLD and a scan of the live children.
    Sigchld,
}

static MODE: AtomicU8 = AtomicU8::new(0);

/// Forces the reaper of children spawned from now on (tests run their
/// whole suite both ways with it). Normally chosen once from
/// `CORIO_SUBPROCESS_REAPER` (`pidfd`, the default, or `sigchld`).
#[doc(hidden)]
pub fn set_reaper_mode(mode: ReaperMode) {
    // ORDERING: a lone flag read by `reaper_mode`; no other data hangs on it.
    MODE.store(if mode == ReaperMode::Pidfd { 1 } else { 2 }, Ordering::Relaxed);
}

/// The reaper in use (rule 1).
#[doc(hidden)]
pub fn reaper_mode() -> ReaperMode {
    // ORDERING: pairs with the Relaxed store in `set_reaper_mode`; a flag only.
    match MODE.load(Ordering::Relaxed) {
        1 => ReaperMode::Pidfd,
        2 => ReaperMode::Sigchld,
        _ => {
            let mode = match std::env::var("CORIO_SUBPROCESS_REAPER").as_deref() {
                Ok("sigchld") => ReaperMode::Sigchld,
                _ => ReaperMode::Pidfd,
            };
            set_reaper_mode(mode);
            mode
        }
    }
}

/// A child's `std::process::Child` (which caches its exit status once
/// reaped) and its waiter's waker.
struct ChildCell {
    pid: u32,
    child: Mutex<Child>,
    waker: Mutex<Option<Waker>>,
}

impl ChildCell {
    /// `waitpid(pid, WNOHANG)` under the child's lock (rule 2).
    fn try_wait(&self) -> io::Result<Option<ExitStatus>> {
        self.child.lock().try_wait()
    }

    fn reaped(&self) -> bool {
        !matches!(self.try_wait(), Ok(None))
    }

    fn wake(&self) {
        let w = self.waker.lock().take();
        if let Some(w) = w {
            w.wake();
        }
    }

    fn set_waker(&self, w: &Waker) {
        let w = w.clone();
        let old = self.waker.lock().replace(w);
        drop(old);
    }

    /// Rule 2.
    fn signal(&self, sig: i32) -> io::Result<()> {
        let mut child = self.child.lock();
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        // SAFETY: plain syscall; the pid is our unreaped child (rule 2), so
        // it cannot have been recycled.
        if unsafe { libc::kill(self.pid as libc::pid_t, sig) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// The runtime's SIGCHLD list (rule 1, fallback).
pub(crate) struct SigchldReaper {
    children: Mutex<Vec<Arc<ChildCell>>>,
    /// The listening task ended (runtime shut down): waiters get an error,
    /// dropped children go to the process-wide reaper.
    dead: AtomicBool,
}

impl SigchldReaper {
    /// The runtime's list, made (with its listening task) on first use.
    fn get(handle: &IoHandle) -> io::Result<Arc<SigchldReaper>> {
        let mut slot = handle.inner.sigchld.lock();
        if let Some(r) = slot.as_ref() {
            return Ok(r.clone().downcast::<SigchldReaper>().expect("the driver's SIGCHLD slot holds a SigchldReaper"));
        }
        // Listening starts before the first child is spawned, so no exit
        // after it goes unseen.
        let sig = crate::signal::signal(SignalKind::from_raw(libc::SIGCHLD))?;
        let reaper = Arc::new(SigchldReaper { children: Mutex::new(Vec::new()), dead: AtomicBool::new(false) });
        // The guard is made here, not in the task: a task dropped before its
        // first poll (shutdown) must still hand its children over.
        corio_sched::spawn(sigchld_loop(DeadGuard(reaper.clone()), sig)).detach();
        *slot = Some(reaper.clone());
        Ok(reaper)
    }

    fn scan(&self) {
        let mut done = Vec::new();
        self.children.lock().retain(|c| {
            if c.reaped() {
                done.push(c.clone());
                false
            } else {
                true
            }
        });
        done.iter().for_each(|c| c.wake());
    }

    fn is_dead(&self) -> bool {
        // ORDERING: Acquire pairs with the Release store in `DeadGuard::drop`,
        // so a reader that sees `dead` sees the list already handed over.
        self.dead.load(Ordering::Acquire)
    }
}

struct DeadGuard(Arc<SigchldReaper>);

impl Drop for DeadGuard {
    fn drop(&mut self) {
        // ORDERING: Release pairs with the Acquire load in `is_dead`.
        self.0.dead.store(true, Ordering::Release);
        let left = std::mem::take(&mut *self.0.children.lock());
        for c in left {
            c.wake();
            if !c.reaped() {
                adopt(c);
            }
        }
    }
}

async fn sigchld_loop(guard: DeadGuard, mut sig: Signal) {
    while sig.recv().await.is_some() {
        guard.0.scan();
    }
}

/// Rule 4: the process-wide reaper of children whose runtime is gone.
static ADOPTED: Mutex<(Vec<Arc<ChildCell>>, bool)> = Mutex::new((Vec::new(), false));

fn adopt(cell: Arc<ChildCell>) {
    let start = {
        let mut adopted = ADOPTED.lock();
        adopted.0.push(cell);
        !std::mem::replace(&mut adopted.1, true)
    };
    if start {
        let spawned = std::thread::Builder::new().name("corio-reaper".into()).spawn(|| {
            let mut pause = Duration::from_millis(1);
            loop {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
                let mut adopted = ADOPTED.lock();
                adopted.0.retain(|c| !c.reaped());
                if adopted.0.is_empty() {
                    adopted.1 = false;
                    return;
                }
            }
        });
        if spawned.is_err() {
            // No thread: the children stay listed and the next adoption
            // tries again.
            ADOPTED.lock().1 = false;
        }
    }
}

/// Children adopted by the process-wide reaper and not yet reaped (rule 4).
#[doc(hidden)]
pub fn adopted_children() -> usize {
    ADOPTED.lock().0.len()
}

enum Watch {
    Pidfd(PollEvented<OwnedFd>),
    Sigchld(Arc<SigchldReaper>),
    Gone,
}

fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: rule 1 (the child's pidfd): a plain syscall with integer
    // arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: rule 1: pidfd_open returned a new descriptor that nothing
    // else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// A process builder: std's [`std::process::Command`] plus
/// [`kill_on_drop`](Command::kill_on_drop). Its standard streams default to
/// std's (inherited); [`Stdio::piped`] gives the `Process` a
/// [`StreamWriter`] / [`StreamReader`] for them.
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command").field("command", &self.std).field("kill_on_drop", &self.kill_on_drop).finish()
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command { std, kill_on_drop: false }
    }
}

impl Command {
    /// A command running `program` (looked up in `PATH` if it has no `/`).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command { std: std::process::Command::new(program), kill_on_drop: false }
    }

    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable of the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables of the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the child's environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// The child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's stdin.
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// The child's stdout.
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// The child's stderr.
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// `true`: dropping the `Process` before the child was reaped sends it
    /// SIGKILL (it is reaped either way). Default `false`, as in asyncio.
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// The std builder, for options not mirrored here (`CommandExt`).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the child. Synchronous (fork/exec is); must be called inside a
    /// runtime. A program that does not exist is an error of kind
    /// `NotFound`.
    ///
    /// # Panics
    ///
    /// Outside a runtime ("no running corio runtime").
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Process> {
        let handle = IoHandle::current();
        let sched = corio_sched::Handle::current();
        // The SIGCHLD listener (if used) starts before the child (rule 1).
        let sigchld = match reaper_mode() {
            ReaperMode::Sigchld => Some(SigchldReaper::get(&handle)?),
            ReaperMode::Pidfd => None,
        };
        let mut child = self.std.spawn()?;
        let pid = child.id();
        match Process::attach(&handle, &mut child, sigchld) {
            Ok((watch, stdin, stdout, stderr)) => {
                let cell = Arc::new(ChildCell { pid, child: Mutex::new(child), waker: Mutex::new(None) });
                if let Watch::Sigchld(r) = &watch {
                    r.children.lock().push(cell.clone());
                }
                Ok(Process { stdin, stdout, stderr, cell, watch, kill_on_drop: self.kill_on_drop, sched })
            }
            Err(e) => {
                // Registration failed (driver gone, out of fds): the child
                // must not outlive its handle unreaped.
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }
}

type Pipes = (Watch, Option<StreamWriter>, Option<StreamReader>, Option<StreamReader>);

/// An OS process started by [`Command::spawn`], [`create_subprocess_exec`]
/// or [`create_subprocess_shell`] — asyncio's `asyncio.subprocess.Process`.
///
/// Dropping it does not kill the child (unless `kill_on_drop(true)`), and
/// the child is reaped all the same: no zombie is left behind.
pub struct Process {
    /// The child's stdin, if piped. Dropping or closing it gives the child
    /// EOF.
    pub stdin: Option<StreamWriter>,
    /// The child's stdout, if piped.
    pub stdout: Option<StreamReader>,
    /// The child's stderr, if piped.
    pub stderr: Option<StreamReader>,
    cell: Arc<ChildCell>,
    watch: Watch,
    kill_on_drop: bool,
    sched: corio_sched::Handle,
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process").field("pid", &self.cell.pid).field("returncode", &self.returncode()).finish()
    }
}

impl Process {
    fn attach(handle: &IoHandle, child: &mut Child, sigchld: Option<Arc<SigchldReaper>>) -> io::Result<Pipes> {
        let stdin = match child.stdin.take() {
            Some(s) => Some(StreamWriter::new(std::sync::Arc::new(PipeWriter::new(handle, s.into())?))),
            None => None,
        };
        let stdout = match child.stdout.take() {
            Some(s) => Some(StreamReader::new(PipeReader::new(handle, s.into())?)),
            None => None,
        };
        let stderr = match child.stderr.take() {
            Some(s) => Some(StreamReader::new(PipeReader::new(handle, s.into())?)),
            None => None,
        };
        let watch = match sigchld {
            Some(r) => Watch::Sigchld(r),
            None => match pidfd_open(child.id()) {
                Ok(fd) => Watch::Pidfd(PollEvented::new(handle.clone(), fd)?),
                // An old kernel: fall back to SIGCHLD for this child.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) => {
                    Watch::Sigchld(SigchldReaper::get(handle)?)
                }
                Err(e) => return Err(e),
            },
        };
        Ok((watch, stdin, stdout, stderr))
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.cell.pid
    }

    /// The exit status once the child has exited (and been reaped), `None`
    /// while it runs.
    pub fn returncode(&self) -> Option<ExitStatus> {
        self.cell.try_wait().ok().flatten()
    }

    /// Waits for the child to exit (without closing its stdin — a child
    /// waiting for input needs `communicate` or a closed `stdin`). After
    /// exit it returns the same status again at once.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.cell.try_wait()? {
            return Ok(status);
        }
        let cell = &self.cell;
        match &self.watch {
            Watch::Pidfd(pidfd) => {
                pidfd
                    .async_io(Direction::Read, |_| cell.try_wait()?.ok_or_else(|| io::ErrorKind::WouldBlock.into()))
                    .await
            }
            Watch::Sigchld(reaper) => {
                poll_fn(|cx| {
                    cell.set_waker(cx.waker());
                    if let Some(status) = cell.try_wait()? {
                        return Poll::Ready(Ok(status));
                    }
                    if reaper.is_dead() {
                        return Poll::Ready(Err(io::Error::other("the corio runtime's I/O driver has shut down")));
                    }
                    Poll::Pending
                })
                .await
            }
            Watch::Gone => unreachable!("only Drop takes the watch"),
        }
    }

    /// asyncio's `communicate`: writes `input` to stdin (if piped) and
    /// closes it, reads stdout and stderr concurrently to EOF (so a child
    /// writing megabytes to both never deadlocks on a full pipe), and waits
    /// for the child to exit. Streams that were not piped give empty
    /// vectors; a child that exits without reading its input is not an
    /// error (asyncio ignores `BrokenPipeError` there too). Takes the
    /// streams out of the `Process`.
    pub async fn communicate(&mut self, input: Option<Vec<u8>>) -> io::Result<Output> {
        let stdin = self.stdin.take();
        let stdout = self.stdout.take();
        let stderr = self.stderr.take();
        let feed = async move {
            if let Some(w) = stdin {
                if let Some(data) = input {
                    w.write(&data);
                }
                w.close();
                w.wait_closed().await;
            }
        };
        let read = |r: Option<StreamReader>| async move {
            match r {
                Some(mut r) => r.read_to_eof().await,
                None => Ok(Vec::new()),
            }
        };
        let (mut feed, mut out, mut err) = (pin!(feed), pin!(read(stdout)), pin!(read(stderr)));
        let (mut fed, mut out_res, mut err_res) = (false, None, None);
        poll_fn(|cx| {
            if !fed {
                fed = feed.as_mut().poll(cx).is_ready();
            }
            if out_res.is_none()
                && let Poll::Ready(r) = out.as_mut().poll(cx)
            {
                out_res = Some(r);
            }
            if err_res.is_none()
                && let Poll::Ready(r) = err.as_mut().poll(cx)
            {
                err_res = Some(r);
            }
            if fed && out_res.is_some() && err_res.is_some() { Poll::Ready(()) } else { Poll::Pending }
        })
        .await;
        let stdout = out_res.take().unwrap_or_else(|| Ok(Vec::new()))?;
        let stderr = err_res.take().unwrap_or_else(|| Ok(Vec::new()))?;
        let status = self.wait().await?;
        Ok(Output { status, stdout, stderr })
    }

    /// Sends signal `sig` to the child; nothing once it has been reaped.
    pub fn send_signal(&mut self, sig: i32) -> io::Result<()> {
        self.cell.signal(sig)
    }

    /// SIGTERM.
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// SIGKILL.
    pub fn kill(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }
}

/// Rule 4 for a child whose orphan task was dropped unfinished.
struct OrphanGuard(Arc<ChildCell>);

impl Drop for OrphanGuard {
    fn drop(&mut self) {
        if !self.0.reaped() {
            adopt(self.0.clone());
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.cell.reaped() {
            return;
        }
        // Rule 3.
        if self.kill_on_drop {
            let _ = self.cell.signal(libc::SIGKILL);
        }
        match std::mem::replace(&mut self.watch, Watch::Gone) {
            Watch::Pidfd(pidfd) => {
                let guard = OrphanGuard(self.cell.clone());
                let orphan = async move {
                    let cell = &guard.0;
                    let _ = pidfd
                        .async_io(Direction::Read, |_| cell.try_wait()?.ok_or_else(|| io::ErrorKind::WouldBlock.into()))
                        .await;
                    drop(pidfd);
                    drop(guard);
                };
                // After shutdown the future is dropped unpolled: the guard
                // hands the child to the process-wide reaper.
                self.sched.spawn(orphan).detach();
            }
            Watch::Sigchld(reaper) => {
                if reaper.is_dead() {
                    adopt(self.cell.clone());
                }
            }
            Watch::Gone => {}
        }
    }
}

/// asyncio's `create_subprocess_exec`: runs `program` with `args`, stdin,
/// stdout and stderr piped.
pub async fn create_subprocess_exec<I, S>(program: impl AsRef<OsStr>, args: I) -> io::Result<Process>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(program).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()
}

/// asyncio's `create_subprocess_shell`: `/bin/sh -c cmd`, all three
/// streams piped.
pub async fn create_subprocess_shell(cmd: &str) -> io::Result<Process> {
    create_subprocess_exec("/bin/sh", ["-c", cmd]).await
}
