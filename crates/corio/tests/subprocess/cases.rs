// Shared by tests/subprocess.rs and tests/subprocess_sigchld.rs, which set
// `REAPER` before including this file.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use corio::subprocess::{Command, Stdio, create_subprocess_exec, create_subprocess_shell};

/// Every test bounds its own time.
const LIMIT: Duration = Duration::from_secs(60);

fn builder() -> corio::Builder {
    corio::subprocess::set_reaper_mode(REAPER);
    corio::Runtime::builder().worker_threads(2)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    let rt = builder().build().unwrap();
    rt.block_on(async { corio::wait_for(f, LIMIT).await.expect("test timed out") })
}

/// The test binary re-runs one of its own tests in a fresh process (for
/// process-wide state: SIGPIPE's disposition, the thread count).
fn run_in_child(test: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("CORIO_TEST_CHILD", test)
        .env("CORIO_SUBPROCESS_REAPER", if REAPER == corio::subprocess::ReaperMode::Sigchld { "sigchld" } else { "pidfd" })
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "child test {test} failed ({:?}):\n{text}", out.status);
    assert!(text.contains("1 passed"), "child test {test} did not run:\n{text}");
}

fn is_child(test: &str) -> bool {
    std::env::var("CORIO_TEST_CHILD").as_deref() == Ok(test)
}

/// `/proc/<pid>/stat`'s state letter, `None` once the pid is gone (reaped).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The state follows the parenthesized command name.
    stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next())
}

/// Waits (blocking, real time) until `pid` is gone; fails if it is still
/// there — in particular a zombie (`Z`) — at the deadline.
fn assert_reaped(pid: u32, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let Some(state) = proc_state(pid) else { return };
        assert!(Instant::now() < deadline, "child {pid} still present in state {state} (Z = zombie, never reaped)");
        std::thread::sleep(Duration::from_millis(5));
    }
}

async fn assert_reaped_async(pid: u32, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let Some(state) = proc_state(pid) else { return };
        assert!(Instant::now() < deadline, "child {pid} still present in state {state} (Z = zombie, never reaped)");
        corio::sleep(Duration::from_millis(5)).await;
    }
}

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("corio-subprocess-{tag}-{:?}-{}", REAPER, std::process::id()))
}

#[test]
fn exec_communicate_gives_output_and_status() {
    block(async {
        let mut p = create_subprocess_exec("sh", ["-c", "echo out; echo err >&2; exit 3"]).await.unwrap();
        assert!(p.pid() > 0);
        let out = p.communicate(None).await.unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(p.returncode().and_then(|s| s.code()), Some(3));
    });
}

#[test]
fn shell_runs_sh_c() {
    block(async {
        let mut p = create_subprocess_shell("printf '%s' \"$((6 * 7))\"").await.unwrap();
        let out = p.communicate(None).await.unwrap();
        assert_eq!(out.stdout, b"42");
        assert!(out.status.success());
    });
}

#[test]
fn communicate_feeds_stdin_and_closes_it() {
    block(async {
        let input: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut p = create_subprocess_exec("cat", [] as [&str; 0]).await.unwrap();
        let out = p.communicate(Some(input.clone())).await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, input);
    });
}

#[test]
fn communicate_with_a_child_that_ignores_its_input_is_not_an_error() {
    block(async {
        let mut p = create_subprocess_shell("exec 0<&-; echo done").await.unwrap();
        let out = p.communicate(Some(vec![b'x'; 4 << 20])).await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"done\n");
    });
}

#[test]
fn command_builder_sets_env_cwd_and_stdio() {
    block(async {
        let dir = std::env::temp_dir();
        let mut p = Command::new("sh")
            .args(["-c", "printf '%s|%s|%s' \"$CORIO_A\" \"$CORIO_B\" \"$(pwd -P)\""])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .envs([("CORIO_A", "a"), ("CORIO_B", "b")])
            .env_remove("CORIO_B")
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert!(p.stdin.is_none() && p.stderr.is_none());
        let out = p.communicate(None).await.unwrap();
        let want = format!("a||{}", dir.canonicalize().unwrap().display());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
        assert!(out.stderr.is_empty());
    });
}

#[test]
fn communicate_8mb_on_stdout_and_stderr_at_once() {
    block(async {
        let mut p = create_subprocess_shell(
            "head -c 8388608 /dev/zero >&2 & head -c 8388608 /dev/zero; wait",
        )
        .await
        .unwrap();
        let out = p.communicate(None).await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), 8 << 20);
        assert_eq!(out.stderr.len(), 8 << 20);
    });
}

#[test]
fn wait_returns_the_same_status_again_and_returncode_is_none_while_running() {
    block(async {
        let mut p = Command::new("sh").args(["-c", "read x; exit 5"]).stdin(Stdio::piped()).spawn().unwrap();
        assert!(p.returncode().is_none());
        drop(p.stdin.take()); // EOF for `read`
        let first = p.wait().await.unwrap();
        assert_eq!(first.code(), Some(5));
        assert_eq!(p.wait().await.unwrap(), first);
        assert_eq!(p.returncode(), Some(first));
    });
}

#[test]
fn stdout_streams_line_by_line() {
    block(async {
        let mut p = create_subprocess_shell("for i in 1 2 3; do echo line$i; sleep 0.01; done").await.unwrap();
        let mut out = p.stdout.take().unwrap();
        let mut lines = Vec::new();
        loop {
            let line = out.readline().await.unwrap();
            if line.is_empty() {
                break;
            }
            lines.push(String::from_utf8(line).unwrap());
        }
        assert_eq!(lines, ["line1\n", "line2\n", "line3\n"]);
        assert!(p.wait().await.unwrap().success());
    });
}

#[test]
fn interactive_stdin_stdout() {
    block(async {
        let mut p = create_subprocess_exec("cat", [] as [&str; 0]).await.unwrap();
        let stdin = p.stdin.as_ref().unwrap();
        let stdout = p.stdout.as_mut().unwrap();
        for i in 0..5 {
            stdin.write(format!("ping {i}\n").as_bytes());
            stdin.drain().await.unwrap();
            assert_eq!(stdout.readline().await.unwrap(), format!("ping {i}\n").into_bytes());
        }
        p.stdin.take().unwrap().close();
        assert!(p.wait().await.unwrap().success());
    });
}

#[test]
fn missing_program_is_not_found() {
    block(async {
        let err = create_subprocess_exec("/nonexistent/corio-no-such-program", ["x"]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = Command::new("corio-no-such-program-in-path").spawn().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    });
}

#[test]
fn wait_after_kill_reports_the_signal() {
    block(async {
        let mut p = Command::new("sleep").arg("30").spawn().unwrap();
        p.kill().unwrap();
        let status = p.wait().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert_eq!(status.code(), None);
        // Signalling a reaped child is a no-op, never a stray kill.
        p.kill().unwrap();

        let mut p = Command::new("sleep").arg("30").spawn().unwrap();
        p.terminate().unwrap();
        assert_eq!(p.wait().await.unwrap().signal(), Some(libc::SIGTERM));

        let mut p = Command::new("sleep").arg("30").spawn().unwrap();
        p.send_signal(libc::SIGUSR1).unwrap();
        assert_eq!(p.wait().await.unwrap().signal(), Some(libc::SIGUSR1));
    });
}

#[test]
fn write_to_exited_child_is_broken_pipe() {
    run_in_child("broken_pipe_body");
}

#[test]
fn broken_pipe_body() {
    if !is_child("broken_pipe_body") {
        return;
    }
    // Rust ignores SIGPIPE at start-up; a C-like program has it at its
    // default action, which kills the process. corio must not let it.
    // SAFETY: setting a standard disposition at the test's start.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    block(async {
        let mut p = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
        assert!(p.wait().await.unwrap().success());
        let stdin = p.stdin.take().unwrap();
        stdin.write(&[b'x'; 100_000]);
        let err = stdin.drain().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
        // And through AsyncWrite after the error.
        let err = futures_lite::AsyncWriteExt::write_all(&mut { stdin }, b"more").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    });
}

fn dropped_child_is_reaped(kill_on_drop: bool) {
    let marker = temp_path(&format!("drop-{kill_on_drop}"));
    let _ = std::fs::remove_file(&marker);
    let script = format!("sleep 0.1; echo done > '{}'", marker.display());
    block(async {
        let p = Command::new("sh").args(["-c", &script]).kill_on_drop(kill_on_drop).spawn().unwrap();
        let pid = p.pid();
        drop(p);
        assert_reaped_async(pid, Duration::from_secs(20)).await;
    });
    assert_eq!(marker.exists(), !kill_on_drop, "kill_on_drop({kill_on_drop}) decides whether the child ran to its end");
    let _ = std::fs::remove_file(&marker);
}

#[test]
fn dropped_process_leaves_no_zombie() {
    dropped_child_is_reaped(false);
}

#[test]
fn dropped_process_with_kill_on_drop_is_killed_and_reaped() {
    dropped_child_is_reaped(true);
}

#[test]
fn dropped_process_whose_child_exited_already_is_reaped() {
    block(async {
        let p = Command::new("true").spawn().unwrap();
        let pid = p.pid();
        corio::sleep(Duration::from_millis(50)).await;
        drop(p);
        assert_reaped_async(pid, Duration::from_secs(20)).await;
    });
}

/// Children still running when the runtime shuts down: a dropped
/// `Process` with `kill_on_drop(true)` is killed; every other child keeps
/// running and is reaped by the process-wide reaper thread once it exits.
#[test]
fn children_running_at_shutdown_are_reaped_later() {
    let marker = temp_path("shutdown");
    let _ = std::fs::remove_file(&marker);
    let script = format!("sleep 0.2; echo done > '{}'", marker.display());
    let rt = builder().build().unwrap();
    let (kept, killed, held) = rt.block_on(async {
        let kept = Command::new("sh").args(["-c", &script]).spawn().unwrap();
        let killed = Command::new("sleep").arg("30").kill_on_drop(true).spawn().unwrap();
        let held = Command::new("sleep").arg("0.2").spawn().unwrap();
        let (kp, kl) = (kept.pid(), killed.pid());
        // Held by a task when the runtime shuts down: the task is
        // cancelled, which drops them.
        corio::spawn(async move {
            let _keep = (kept, killed);
            std::future::pending::<()>().await
        })
        .detach();
        corio::yield_now().await;
        (kp, kl, held)
    });
    drop(rt);
    let held_pid = held.pid();
    // A Process that outlives its runtime: its child is adopted when it is
    // dropped.
    drop(held);
    assert_reaped(killed, Duration::from_secs(20));
    assert_reaped(kept, Duration::from_secs(20));
    assert_reaped(held_pid, Duration::from_secs(20));
    assert!(marker.exists(), "a child without kill_on_drop runs to its end after shutdown");
    let _ = std::fs::remove_file(&marker);
}

#[test]
fn thousand_children_need_no_thread_each() {
    run_in_child("thousand_children_body");
}

fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn thousand_children_body() {
    if !is_child("thousand_children_body") {
        return;
    }
    const N: usize = 1000;
    const WORKERS: usize = 2;
    const BLOCKING: usize = 2;
    // libtest's main thread, the test's thread, and slack for one helper.
    const SMALL: usize = 3;
    let rt = builder().worker_threads(WORKERS).max_blocking_threads(BLOCKING).build().unwrap();
    let max = rt.block_on(async {
        corio::wait_for(
            async {
                let mut stdins = Vec::with_capacity(N);
                let mut waiters = Vec::with_capacity(N);
                for _ in 0..N {
                    let mut p = Command::new("cat")
                        .stdin(Stdio::piped())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .kill_on_drop(true)
                        .spawn()
                        .unwrap();
                    stdins.push(Some(p.stdin.take().unwrap()));
                    waiters.push(corio::spawn(async move { p.wait().await.unwrap() }));
                }
                let mut max = threads();
                corio::sleep(Duration::from_millis(20)).await;
                assert!(waiters.iter().all(|t| !t.done()), "every child blocks on its stdin");
                // Release in reverse spawn order: close one child's stdin,
                // await its exit; the earlier children are still blocked.
                for i in (0..N).rev() {
                    stdins[i].take().unwrap().close();
                    let status = (&mut waiters[i]).await.unwrap();
                    assert!(status.success(), "{status:?}");
                    if i > 0 {
                        assert!(!waiters[i - 1].done(), "child {} exited before its stdin was closed", i - 1);
                    }
                    if i % 100 == 0 {
                        max = max.max(threads());
                    }
                }
                max
            },
            LIMIT,
        )
        .await
        .expect("test timed out")
    });
    let bound = WORKERS + BLOCKING + SMALL;
    assert!(max <= bound, "{max} threads for {N} children (bound {bound})");
    println!("threads: max {max}, bound {bound}");
}

#[test]
fn process_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    check::<corio::subprocess::Process>();
    check::<corio::subprocess::Command>();
    fn send<T: Send>(_: &T) {}
    block(async {
        let mut p = create_subprocess_exec("true", [] as [&str; 0]).await.unwrap();
        send(&p.wait());
        send(&p.communicate(None));
        send(&create_subprocess_shell("true"));
        p.wait().await.unwrap();
    });
}
