//! API.md §13: metrics, debug mode, the task dump. Reports on
//! stderr are checked from a child process: this test binary re-run with
//! one test selected and `CHILD_ENV` naming the scenario.

// `rt.block_on(async { spawn(..) })` is how these tests spawn named tasks
// from outside the runtime: the task is returned on purpose, not awaited.
#![allow(clippy::async_yields_async)]

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use corio::sync::Event;

const CHILD_ENV: &str = "CORIO_OBS_TEST_CHILD";

fn runtime(workers: usize) -> corio::Runtime {
    corio::Builder::new().worker_threads(workers).build().unwrap()
}

/// Polls `cond` until it holds; fails the test after 10 s instead of hanging.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `true` in the child process running `scenario`.
fn is_child(scenario: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == scenario)
}

/// Re-runs this binary with only `test` selected and the scenario set; returns
/// its stderr. `extra_env` is added to the child's environment.
fn child_stderr(test: &str, extra_env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .env_remove("CORIO_DEBUG")
        .env("RUST_BACKTRACE", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child test process did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let err = reader.join().unwrap();
    assert!(status.success(), "child failed ({status}); stderr:\n{err}");
    err
}

// ---- metrics ---------------------------------------------------------------

#[test]
fn fresh_runtime_spawns_no_task_of_its_own() {
    let rt = runtime(3);
    let m = rt.handle().metrics();
    assert_eq!(m.workers(), 3);
    assert_eq!(m.live_tasks(), 0);
    assert_eq!(m.spawned_total(), 0);
    assert_eq!(m.injector_depth(), 0);
    assert_eq!(m.blocking_queue_depth(), 0);
    assert_eq!(m.timers_pending(), 0);
    for i in 0..3 {
        assert_eq!(m.local_queue_depth(i), 0);
    }
}

#[test]
fn counters_count_spawns_polls_and_live_tasks() {
    let rt = runtime(1);
    let h = rt.handle();
    let event = Arc::new(Event::new());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let event = event.clone();
            rt.spawn(async move { event.wait().await })
        })
        .collect();
    wait_until("10 idle tasks", || h.metrics().polls(0) >= 10);
    let m = h.metrics();
    assert_eq!(m.live_tasks(), 10);
    assert_eq!(m.spawned_total(), 10);
    event.set();
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    wait_until("tasks gone", || h.metrics().live_tasks() == 0);
    let after = h.metrics();
    // Ten tasks plus the block_on main futures, which count as tasks.
    assert!(after.spawned_total() >= 10, "{after:?}");
    assert!(after.polls(0) >= 20, "each task polled at least twice: {after:?}");
    assert!(after.busy_duration(0) > Duration::ZERO, "{after:?}");
    wait_until("worker parks", || h.metrics().parks(0) >= 1);
}

#[test]
fn a_snapshot_never_changes() {
    let rt = runtime(1);
    let before = rt.handle().metrics();
    let copy = before.clone();
    rt.block_on(async {
        for _ in 0..5 {
            corio::create_task(async {}).await.unwrap();
        }
    });
    assert_eq!(before, copy);
    assert_ne!(before.spawned_total(), rt.handle().metrics().spawned_total());
}

#[test]
fn gauges_see_timers_io_sources_and_blocking_threads() {
    let rt = runtime(2);
    let h = rt.handle();
    let sleepers: Vec<_> = (0..5).map(|_| rt.spawn(async { corio::sleep(Duration::from_secs(3600)).await })).collect();
    wait_until("5 pending timers", || h.metrics().timers_pending() >= 5);
    let base_sources = h.metrics().io_sources();
    let listener = rt.block_on(corio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    assert!(h.metrics().io_sources() > base_sources, "{:?}", h.metrics());
    drop(listener);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let blocked = rt.block_on(async move { corio::to_thread(move || rx.recv()) });
    wait_until("one blocking thread", || h.metrics().blocking_threads() >= 1);
    tx.send(()).unwrap();
    rt.block_on(blocked).unwrap().unwrap();
    drop(sleepers);
    wait_until("timers cancelled", || h.metrics().timers_pending() == 0);
}

#[test]
fn steals_show_up_with_two_workers() {
    let rt = runtime(2);
    let h = rt.handle();
    // One task spawns many small ones onto its own worker: the other worker
    // can only get them by stealing.
    rt.block_on(async {
        corio::create_task(async {
            let tasks: Vec<_> = (0..2000)
                .map(|_| {
                    corio::create_task(async {
                        std::thread::sleep(Duration::from_micros(20));
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    let m = h.metrics();
    let polls: u64 = (0..2).map(|i| m.polls(i)).sum();
    assert!(polls >= 2001, "{m:?}");
    // Stealing is likely but not certain on a loaded machine: only the
    // accessor's range is checked here.
    let _ = m.steals(0) + m.steals(1);
}

#[test]
#[should_panic(expected = "worker index 2 out of range")]
fn per_worker_index_out_of_range_panics() {
    let rt = runtime(2);
    let _ = rt.handle().metrics().polls(2);
}

// ---- the dump --------------------------------------------------------------

/// Parses a dump into one key=value map per line.
fn parse_dump(dump: &str) -> Vec<HashMap<String, String>> {
    dump.lines()
        .map(|line| {
            let mut map = HashMap::new();
            let mut rest = line;
            while !rest.is_empty() {
                let (key, tail) = rest.split_once('=').unwrap_or_else(|| panic!("no '=' in {rest:?} of {line:?}"));
                let (value, tail) = if let Some(quoted) = tail.strip_prefix('"') {
                    let end = quoted.find('"').expect("unterminated quote");
                    (&quoted[..end], &quoted[end + 1..])
                } else {
                    tail.split_once(' ').map_or((tail, ""), |(v, t)| (v, t))
                };
                map.insert(key.trim().to_string(), value.to_string());
                rest = tail.trim_start();
            }
            map
        })
        .collect()
}

fn dump_scenario(debug: bool) -> Vec<HashMap<String, String>> {
    let mut b = corio::Builder::new().worker_threads(1);
    if debug {
        b = b.slow_poll_threshold(Duration::from_secs(5));
    }
    let rt = b.build().unwrap();
    let event = Arc::new(Event::new());
    let e = event.clone();
    let tasks = rt.block_on(async move {
        (0..3)
            .map(|i| {
                let e = e.clone();
                corio::task::Builder::new().name(format!("waiter-{i}")).spawn(async move { e.wait().await })
            })
            .collect::<Vec<_>>()
    });
    wait_until("waiters parked", || rt.handle().dump().to_string().matches("state=idle").count() == 3);
    let text = rt.handle().dump().to_string();
    assert_eq!(rt.handle().dump().len(), 3);
    event.set();
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    parse_dump(&text)
}

#[test]
fn dump_lists_every_live_task() {
    let lines = dump_scenario(false);
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["name"], format!("waiter-{i}"));
        assert_eq!(line["state"], "idle");
        assert!(line["id"].parse::<u64>().is_ok());
        assert!(!line.contains_key("polls"), "no debug extras outside debug mode: {line:?}");
    }
}

#[test]
fn dump_in_debug_mode_has_age_polls_busy_and_spawner() {
    let lines = dump_scenario(true);
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert_eq!(line["polls"], "1", "{line:?}");
        assert!(line.contains_key("age") && line.contains_key("busy"), "{line:?}");
        // Spawned inside block_on: the main future is the spawner.
        assert!(line["spawner"].parse::<u64>().is_ok(), "{line:?}");
        assert!(line["spawner_name"].starts_with("Task-"), "{line:?}");
    }
}

#[test]
fn dump_shows_running_and_scheduled() {
    let rt = runtime(1);
    let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let release = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (s, r) = (started.clone(), release.clone());
    let blocker = rt.spawn(async move {
        s.store(true, std::sync::atomic::Ordering::SeqCst);
        while !r.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    wait_until("blocker running", || started.load(std::sync::atomic::Ordering::SeqCst));
    let queued = rt.spawn(async {});
    let lines = parse_dump(&rt.handle().dump().to_string());
    release.store(true, std::sync::atomic::Ordering::SeqCst);
    let states: Vec<&str> = lines.iter().map(|l| l["state"].as_str()).collect();
    assert_eq!(states, ["running", "scheduled"]);
    rt.block_on(blocker).unwrap();
    rt.block_on(queued).unwrap();
}

// ---- debug mode, checked on a child's stderr --------------------------------

/// A named task that blocks its worker for `d`, then says so on stderr.
#[cfg(not(feature = "tracing"))]
fn block_worker(rt: &corio::Runtime, name: &str, d: Duration) {
    let task = rt.block_on(async {
        corio::task::Builder::new().name(name).spawn(async move {
            std::thread::sleep(d);
            eprintln!("MARK poll-ended");
        })
    });
    rt.block_on(task).unwrap();
}

#[test]
#[cfg(not(feature = "tracing"))] // with it, reports are WARN events (see `tracing_feature`)
fn slow_poll_is_reported_with_id_name_and_duration() {
    if is_child("slow_poll_is_reported_with_id_name_and_duration") {
        let rt =
            corio::Builder::new().worker_threads(1).slow_poll_threshold(Duration::from_millis(50)).build().unwrap();
        block_worker(&rt, "sleepy-task", Duration::from_millis(150));
        return;
    }
    let err = child_stderr("slow_poll_is_reported_with_id_name_and_duration", &[]);
    let line = err.lines().find(|l| l.contains("slow poll")).unwrap_or_else(|| panic!("no report:\n{err}"));
    assert!(line.contains("'sleepy-task'") && line.contains("(id "), "{line}");
    assert!(line.contains("ms"), "duration missing: {line}");
}

#[test]
#[cfg(not(feature = "tracing"))] // with it, reports are WARN events (see `tracing_feature`)
fn blocked_worker_is_reported_while_stuck_once() {
    if is_child("blocked_worker_is_reported_while_stuck_once") {
        let rt =
            corio::Builder::new().worker_threads(1).slow_poll_threshold(Duration::from_millis(50)).build().unwrap();
        block_worker(&rt, "stuck-task", Duration::from_millis(1500));
        return;
    }
    let err = child_stderr("blocked_worker_is_reported_while_stuck_once", &[]);
    let lines: Vec<&str> = err.lines().collect();
    let blocked: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].contains("blocked worker")).collect();
    assert_eq!(blocked.len(), 1, "one report per incident:\n{err}");
    let mark = lines.iter().position(|l| l.contains("MARK poll-ended")).expect("marker");
    assert!(blocked[0] < mark, "reported while still stuck:\n{err}");
    assert!(lines[blocked[0]].contains("'stuck-task'") && lines[blocked[0]].contains("worker 0"), "{err}");
}

#[test]
#[cfg(not(feature = "tracing"))] // with it, reports are WARN events (see `tracing_feature`)
fn corio_debug_env_turns_debug_mode_on_at_100ms() {
    if is_child("corio_debug_env_turns_debug_mode_on_at_100ms") {
        let rt = runtime(1);
        block_worker(&rt, "env-task", Duration::from_millis(250));
        block_worker(&rt, "quick-task", Duration::from_millis(1));
        return;
    }
    let err = child_stderr("corio_debug_env_turns_debug_mode_on_at_100ms", &[("CORIO_DEBUG", "1")]);
    assert!(err.contains("slow poll: task 'env-task'") && err.contains("threshold 100ms"), "{err}");
    assert!(!err.contains("'quick-task'"), "{err}");
}

#[test]
#[cfg(not(feature = "tracing"))] // with it, reports are WARN events (see `tracing_feature`)
fn no_reports_without_debug_mode() {
    if is_child("no_reports_without_debug_mode") {
        let rt = runtime(1);
        block_worker(&rt, "slow-but-unwatched", Duration::from_millis(250));
        rt.spawn(std::future::pending::<()>()).detach();
        return;
    }
    let err = child_stderr("no_reports_without_debug_mode", &[]);
    assert!(!err.contains("corio:"), "{err}");
}

#[test]
#[cfg(not(feature = "tracing"))] // with it, reports are WARN events (see `tracing_feature`)
fn shutdown_in_debug_mode_names_pending_tasks() {
    if is_child("shutdown_in_debug_mode_names_pending_tasks") {
        let rt = corio::Builder::new().worker_threads(2).slow_poll_threshold(Duration::from_secs(5)).build().unwrap();
        let t = rt.block_on(async { corio::task::Builder::new().name("forever").spawn(std::future::pending::<()>()) });
        t.detach();
        rt.block_on(rt.spawn(async {})).unwrap();
        drop(rt);
        return;
    }
    let err = child_stderr("shutdown_in_debug_mode_names_pending_tasks", &[]);
    let hits: Vec<&str> = err.lines().filter(|l| l.contains("Task was destroyed but it is pending!")).collect();
    assert_eq!(hits.len(), 1, "{err}");
    assert!(hits[0].contains("'forever'") && hits[0].contains("(id "), "{err}");
}

#[test]
fn unretrieved_panic_keeps_its_one_report_in_debug_mode() {
    if is_child("unretrieved_panic_keeps_its_one_report_in_debug_mode") {
        let rt = corio::Builder::new().worker_threads(1).slow_poll_threshold(Duration::from_secs(5)).build().unwrap();
        let t = rt.block_on(async {
            corio::task::Builder::new().name("boom").spawn(async {
                panic!("kaboom");
            })
        });
        wait_until("panicked", || t.done());
        t.detach();
        drop(rt);
        return;
    }
    let err = child_stderr("unretrieved_panic_keeps_its_one_report_in_debug_mode", &[]);
    assert_eq!(err.matches("nobody retrieved the panic").count(), 1, "{err}");
    assert!(!err.contains("Task was destroyed"), "a finished task is not pending:\n{err}");
}

#[test]
fn sigquit_in_debug_mode_prints_the_dump() {
    if is_child("sigquit_in_debug_mode_prints_the_dump") {
        let rt =
            corio::Builder::new().worker_threads(1).slow_poll_threshold(Duration::from_millis(100)).build().unwrap();
        let event = Arc::new(Event::new());
        let e = event.clone();
        let t =
            rt.block_on(
                async move { corio::task::Builder::new().name("dumped-task").spawn(async move { e.wait().await }) },
            );
        // SAFETY: raising a signal this process handles.
        unsafe { libc::raise(libc::SIGQUIT) };
        // The watchdog prints within a tick; give it a bounded while.
        std::thread::sleep(Duration::from_millis(600));
        event.set();
        rt.block_on(t).unwrap();
        return;
    }
    let err = child_stderr("sigquit_in_debug_mode_prints_the_dump", &[]);
    assert!(err.contains("task dump (SIGQUIT)"), "{err}");
    assert!(err.contains("name=\"dumped-task\" state=idle"), "{err}");
}

// ---- the `tracing` feature ---------------------------------------------------

#[cfg(feature = "tracing")]
mod tracing_feature {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    /// What the subscriber saw: spans by id (name, fields), and events
    /// (level, target, fields).
    type KeyValues = Vec<(String, String)>;

    #[derive(Default)]
    struct Seen {
        spans: Vec<(u64, String, KeyValues)>,
        events: Vec<(Level, String, KeyValues)>,
        entered: u64,
    }

    static SEEN: Mutex<Option<Seen>> = Mutex::new(None);
    static NEXT: AtomicU64 = AtomicU64::new(1);

    struct Fields(KeyValues);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.push((field.name().to_string(), format!("{value:?}").trim_matches('"').to_string()));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.push((field.name().to_string(), value.to_string()));
        }
    }

    struct Collector;

    impl Subscriber for Collector {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let id = NEXT.fetch_add(1, Ordering::Relaxed);
            let mut fields = Fields(Vec::new());
            span.record(&mut fields);
            let mut seen = SEEN.lock().unwrap();
            seen.get_or_insert_with(Seen::default).spans.push((id, span.metadata().name().to_string(), fields.0));
            Id::from_u64(id)
        }
        fn record(&self, span: &Id, values: &Record<'_>) {
            let mut fields = Fields(Vec::new());
            values.record(&mut fields);
            let mut seen = SEEN.lock().unwrap();
            if let Some(s) = seen.get_or_insert_with(Seen::default).spans.iter_mut().find(|s| s.0 == span.into_u64()) {
                s.2.extend(fields.0);
            }
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields(Vec::new());
            event.record(&mut fields);
            let meta = event.metadata();
            let mut seen = SEEN.lock().unwrap();
            seen.get_or_insert_with(Seen::default).events.push((*meta.level(), meta.target().to_string(), fields.0));
        }
        fn enter(&self, _: &Id) {
            SEEN.lock().unwrap().get_or_insert_with(Seen::default).entered += 1;
        }
        fn exit(&self, _: &Id) {}
    }

    fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn polls_run_in_task_spans_and_lifecycle_events_are_debug() {
        tracing::subscriber::set_global_default(Collector).unwrap();
        let rt =
            corio::Builder::new().worker_threads(1).slow_poll_threshold(Duration::from_millis(30)).build().unwrap();
        let done = rt.block_on(async {
            corio::task::Builder::new().name("traced").spawn(async {
                std::thread::sleep(Duration::from_millis(60));
                7
            })
        });
        let id = done.id().as_u64().to_string();
        assert_eq!(rt.block_on(done).unwrap(), 7);
        let cancelled =
            rt.block_on(async { corio::task::Builder::new().name("doomed").spawn(std::future::pending::<()>()) });
        std::thread::sleep(Duration::from_millis(20));
        cancelled.cancel();
        let _ = rt.block_on(cancelled);
        let panicked = rt.block_on(async { corio::task::Builder::new().name("bomb").spawn(async { panic!("boom") }) });
        assert!(rt.block_on(panicked).unwrap_err().is_panic());
        drop(rt);

        let seen = SEEN.lock().unwrap().take().unwrap();
        let span = seen.spans.iter().find(|s| s.1 == "task" && field(&s.2, "name") == Some("traced"));
        let span = span.unwrap_or_else(|| panic!("no task span for 'traced': {:?}", seen.spans));
        assert_eq!(field(&span.2, "id"), Some(id.as_str()));
        // One span for the task's life, entered at each poll, with the
        // fields tokio's task span has (what console-subscriber reads).
        let count = seen.spans.iter().filter(|s| s.1 == "task" && field(&s.2, "name") == Some("traced")).count();
        assert_eq!(count, 1, "{:?}", seen.spans);
        assert_eq!(field(&span.2, "kind"), Some("task"));
        assert_eq!(field(&span.2, "task.name"), Some("traced"));
        assert_eq!(field(&span.2, "task.id"), Some(id.as_str()));
        assert!(seen.entered >= 1);
        let message = |name: &str, msg: &str| {
            seen.events
                .iter()
                .find(|e| field(&e.2, "name") == Some(name) && field(&e.2, "message").is_some_and(|m| m.contains(msg)))
        };
        for (name, msg) in [
            ("traced", "task spawned"),
            ("traced", "task completed"),
            ("doomed", "task cancelled"),
            ("bomb", "task panicked"),
        ] {
            let e = message(name, msg).unwrap_or_else(|| panic!("no '{msg}' event for {name}: {:?}", seen.events));
            assert_eq!(e.0, Level::DEBUG);
        }
        let warn = seen.events.iter().find(|e| {
            e.0 == Level::WARN && field(&e.2, "message").is_some_and(|m| m.contains("slow poll: task 'traced'"))
        });
        assert!(warn.is_some(), "no WARN slow-poll event: {:?}", seen.events);
    }
}

/// A runtime's only worker keeps its queue to itself (no deque), and still
/// reports its depth.
#[test]
fn a_single_workers_queue_depth_is_reported() {
    let rt = runtime(1);
    let h = rt.handle().clone();
    let (queued, after) = rt
        .block_on(rt.spawn(async move {
            let tasks: Vec<_> = (0..50).map(|i| corio::create_task(async move { i })).collect();
            // One child sits in the LIFO slot; the other 49 are queued.
            let queued = h.metrics().local_queue_depth(0);
            for t in tasks {
                t.await.unwrap();
            }
            (queued, h.metrics().local_queue_depth(0))
        }))
        .unwrap();
    assert_eq!(queued, 49);
    assert_eq!(after, 0);
}
