//! The asyncio documentation's subprocess examples, translated
//! (<https://docs.python.org/3/library/asyncio-subprocess.html>):
//!
//! - `run(cmd)`: a shell command's exit code, stdout and stderr through
//!   `communicate`;
//! - `gather(run('ls /zzz'), run('sleep 0.1; echo "hello"'))`: children
//!   running concurrently, their exit codes gathered;
//! - `get_date()`: a child's output read line by line as it comes
//!   (`async for line in proc.stdout`), and `wait`.
//!
//! A bounded self-test: it checks what it prints and exits 0.
//! Run with `cargo run -p corio --example subprocess`.

use std::time::Duration;

use corio::subprocess::{Command, Stdio, create_subprocess_exec, create_subprocess_shell};
use futures_lite::StreamExt;

/// `async def run(cmd)`: returns the exit code.
async fn run(cmd: &'static str) -> i32 {
    let mut proc = create_subprocess_shell(cmd).await.expect("spawn /bin/sh");
    let out = proc.communicate(None).await.expect("communicate");
    let code = out.status.code().unwrap_or(-1);
    println!("[{cmd:?} exited with {code}]");
    if !out.stdout.is_empty() {
        print!("[stdout]\n{}", String::from_utf8_lossy(&out.stdout));
    }
    if !out.stderr.is_empty() {
        print!("[stderr]\n{}", String::from_utf8_lossy(&out.stderr));
    }
    code
}

/// `get_date()`'s pattern: read the child's stdout line by line while it
/// runs, then wait for it.
async fn stream_lines() -> Vec<String> {
    let mut proc = Command::new("sh")
        .args(["-c", "for i in 1 2 3 4 5; do echo \"tick $i\"; sleep 0.02; done"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut stdout = proc.stdout.take().unwrap();
    let mut lines = Vec::new();
    let mut it = stdout.lines();
    while let Some(line) = it.next().await {
        let line = String::from_utf8(line.expect("read")).unwrap();
        print!("line from child {}: {line}", proc.pid());
        lines.push(line);
    }
    let status = proc.wait().await.expect("wait");
    assert!(status.success());
    lines
}

fn main() {
    corio::run(async {
        let checks = async {
            // asyncio.run(run('ls /zzz'))
            let code = run("ls /zzz").await;
            assert_ne!(code, 0, "ls of a missing path fails");

            // await asyncio.gather(run('ls /zzz'), run('sleep 0.1; echo "hello"'), ...)
            let codes = corio::gather!(run("ls /zzz"), run("sleep 0.1; echo \"hello\""), run("exit 7")).await.unwrap();
            println!("exit codes: {codes:?}");
            assert!(codes.0 != 0 && codes.1 == 0 && codes.2 == 7);

            // Exec, not shell: `ls` of this crate, concurrently with `sh -c`.
            let mut ls = create_subprocess_exec("ls", [env!("CARGO_MANIFEST_DIR")]).await.unwrap();
            let mut sh = create_subprocess_shell("echo from-sh").await.unwrap();
            let (ls_out, sh_out) = corio::gather!(async move { ls.communicate(None).await.unwrap() }, async move {
                sh.communicate(None).await.unwrap()
            })
            .await
            .unwrap();
            assert!(String::from_utf8_lossy(&ls_out.stdout).contains("Cargo.toml"));
            assert_eq!(sh_out.stdout, b"from-sh\n");

            // async for line in proc.stdout
            let lines = stream_lines().await;
            assert_eq!(lines.len(), 5);
            assert_eq!(lines[4], "tick 5\n");
        };
        corio::wait_for(checks, Duration::from_secs(60)).await.expect("the example timed out");
        println!("subprocess example: all checks passed");
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}
