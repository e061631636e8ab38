//! Child processes of the `compare` and `scaling` binaries: a server of one
//! runtime in a process of its own, loaded by a runtime-neutral client in
//! another, with the server's CPU time read from `/proc` around the load
//! (the `http` row, `scaling echo`). Also [`with_contender!`](crate::with_contender),
//! which turns a runtime's name into its type.

use std::io::BufRead;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `$body` with `$R` naming the [`Contender`](crate::Contender) type
/// called `$name` ("corio", "tokio" or "smol"); panics on any other name.
#[macro_export]
macro_rules! with_contender {
    ($name:expr, $R:ident => $body:expr) => {{
        let name: &str = $name;
        if name == <$crate::CorioRt as $crate::Contender>::NAME {
            type $R = $crate::CorioRt;
            $body
        } else if name == <$crate::TokioRt as $crate::Contender>::NAME {
            type $R = $crate::TokioRt;
            $body
        } else if name == <$crate::SmolRt as $crate::Contender>::NAME {
            type $R = $crate::SmolRt;
            $body
        } else {
            panic!("unknown runtime {name}")
        }
    }};
}

/// The server child's side: binds a loopback port with a backlog that
/// holds thousands of connections opened at once, prints `port N` for the
/// parent, exits when the parent closes our stdin, and meanwhile runs
/// `serve` (which does not return).
pub fn serve_until_stdin_closes(serve: impl FnOnce(TcpListener)) {
    use std::os::fd::AsRawFd;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    // std listens with a backlog of 128; connections beyond it would wait
    // out SYN retries. Listening again sets a new one.
    // SAFETY: `listen` on a socket this function owns.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 8192) }, 0, "listen backlog");
    println!("port {}", listener.local_addr().expect("local_addr").port());
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    serve(listener);
}

/// The client child's report of its wall time, read by [`load`].
pub fn print_wall(wall: Duration) {
    println!("wall_ns {}", wall.as_nanos());
}

/// The parent's side: starts this executable with `server_args` as the
/// server child, then with `client_args(port)` as the client, and returns
/// the client's wall time and the server's CPU time during the client's
/// run. `what` names the pair in panic messages.
pub fn load(what: &str, server_args: &[&str], client_args: impl FnOnce(&str) -> Vec<String>) -> (Duration, Duration) {
    let exe = std::env::current_exe().expect("current_exe");
    let mut server = Command::new(&exe)
        .args(server_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().expect("server stdout")).read_line(&mut line).expect("read port");
    let port = line.trim().strip_prefix("port ").unwrap_or_else(|| panic!("{what} server said {line:?}"));
    let before = cpu_time(server.id());
    let out = Command::new(&exe).args(client_args(port)).output().expect("spawn client");
    let after = cpu_time(server.id());
    drop(server.stdin.take());
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{what} client failed: {}", String::from_utf8_lossy(&out.stderr));
    let wall = stdout
        .lines()
        .find_map(|l| l.strip_prefix("wall_ns ")?.parse().ok())
        .unwrap_or_else(|| panic!("no wall time from the {what} client: {stdout}"));
    (Duration::from_nanos(wall), after - before)
}

/// CPU time (user + system) process `pid` has used so far.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // Fields after the `(comm)`, which may hold spaces: state is field 3,
    // utime field 14, stime field 15.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as u64 } else { 100 };
    Duration::from_nanos(ticks * 1_000_000_000 / hz)
}
