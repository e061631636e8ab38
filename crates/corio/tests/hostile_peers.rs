//! Hostile peers against a `start_server` line-echo handler (`readline` +
//! `write` + `drain()`): a peer sending 64 MiB without a newline,
//! 50 peers that never read, 1,000 connections reset mid-line. A
//! well-behaved client is served in between every hostile step, and a
//! counting `#[global_allocator]` bounds the peak of live heap bytes during
//! each phase by
//!
//! `conns × (reader limit + read chunk + writer high-water mark) + SLACK`
//!
//! (the stream reader keeps at most `limit + READ_CHUNK` bytes, rule 1 of
//! `corio-io/src/streams/reader.rs`; the writer pauses its handler above
//! the high-water mark, rule 2 of `writer.rs`). After each phase the live
//! bytes go back to where they were, so no connection leaks.
//!
//! The peers are plain blocking `std::net` sockets on threads of their own
//! (loopback only), so they do not depend on the runtime under test. The
//! tests share one allocator, so they take turns ([`SERIAL`]); each is
//! bounded in time by [`with_timeout`], which fails instead of hanging.
#![cfg(not(corio_loom))]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{runtime, with_timeout};
use corio::streams::{DEFAULT_HIGH_WATER, DEFAULT_LIMIT, LimitOverrunError, StreamReader, StreamWriter};

/// The reader's read size (`READ_CHUNK` in `corio-io/src/streams/reader.rs`).
const READ_CHUNK: usize = 64 * 1024;
/// What one connection may hold: a full reader buffer plus a full writer.
const PER_CONN: usize = DEFAULT_LIMIT + READ_CHUNK + DEFAULT_HIGH_WATER;
/// Room for what does not scale with connections: the runtime's tables,
/// the well-behaved client's strings.
const SLACK: usize = 1 << 20;
/// What a phase may leave allocated once every hostile peer is gone: a
/// reactor table or a waiter list that grew stays grown.
const LEAK_SLACK: usize = 256 * 1024;
/// The bound of each test's body.
const LIMIT: Duration = Duration::from_secs(120);
/// A well-behaved client's wait for its echo before the test fails.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// The counting allocator.

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    // ORDERING: a statistic; no other memory is published through it, and
    // the readers (`Phase`) only need each counter's own modification order.
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    // ORDERING: as above, paired with the loads in `Phase`.
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(n: usize) {
    // ORDERING: as in `grew`.
    LIVE.fetch_sub(n, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments,
// so `System`'s guarantees carry over; the counting has no effect on the
// memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract for `layout`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (so from `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds
        // `realloc`'s contract for `new_size`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The tests share the counters: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Live bytes at the start of a measured phase, and the peak since.
struct Phase {
    base: usize,
}

impl Phase {
    fn start() -> Phase {
        // ORDERING: statistics, see `grew`.
        let base = LIVE.load(Ordering::Relaxed);
        // ORDERING: as above.
        PEAK.store(base, Ordering::Relaxed);
        Phase { base }
    }

    /// Peak live bytes above the start.
    fn peak(&self) -> usize {
        // ORDERING: statistics, see `grew`.
        PEAK.load(Ordering::Relaxed).saturating_sub(self.base)
    }

    /// Live bytes now above the start (0 if fewer).
    fn left(&self) -> usize {
        // ORDERING: statistics, see `grew`.
        LIVE.load(Ordering::Relaxed).saturating_sub(self.base)
    }

    #[track_caller]
    fn assert_peak_within(&self, what: &str, conns: usize) {
        let peak = self.peak();
        let bound = conns * PER_CONN + SLACK;
        eprintln!("{what}: peak {peak} B above the start (bound {bound} B for {conns} connections)");
        assert!(peak <= bound, "{what}: peak live heap {peak} B above the start exceeds {bound} B");
    }

    #[track_caller]
    fn assert_nothing_left(&self, what: &str) {
        let left = self.left();
        eprintln!("{what}: {left} B still live after the phase");
        assert!(left <= LEAK_SLACK, "{what}: {left} B are still allocated once every peer is gone");
    }
}

// ---------------------------------------------------------------------------
// The server.

#[derive(Default)]
struct Stats {
    /// Handlers started.
    started: AtomicUsize,
    /// Handlers running.
    active: AtomicUsize,
    /// `LimitOverrunError`s seen by `readline`.
    overruns: AtomicUsize,
    /// Handlers inside a `drain` entered above the low-water mark (so
    /// possibly paused).
    draining: AtomicUsize,
}

impl Stats {
    fn get(counter: &AtomicUsize) -> usize {
        // ORDERING: the tests only poll these gauges until they reach a
        // value; nothing else is read through them.
        counter.load(Ordering::Relaxed)
    }
}

fn bump(counter: &AtomicUsize, up: bool) {
    // ORDERING: as in `Stats::get`.
    if up {
        counter.fetch_add(1, Ordering::Relaxed);
    } else {
        counter.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Running(Arc<Stats>);

impl Drop for Running {
    fn drop(&mut self) {
        bump(&self.0.active, false);
    }
}

/// The handler: echo each line; on a line over the limit, go on with the
/// next (`readline` dropped the data); stop at EOF or on an error.
async fn echo(mut reader: StreamReader, writer: StreamWriter, stats: Arc<Stats>) {
    bump(&stats.started, true);
    bump(&stats.active, true);
    let _running = Running(stats.clone());
    loop {
        match reader.readline().await {
            Ok(line) if line.is_empty() => break,
            Ok(line) => {
                writer.write(&line);
                let gauge = writer.write_buffer_size() > DEFAULT_HIGH_WATER / 4;
                if gauge {
                    bump(&stats.draining, true);
                }
                let res = writer.drain().await;
                if gauge {
                    bump(&stats.draining, false);
                }
                if res.is_err() {
                    break;
                }
            }
            Err(e) if e.get_ref().is_some_and(|e| e.is::<LimitOverrunError>()) => bump(&stats.overruns, true),
            Err(_) => break,
        }
    }
}

struct Harness {
    rt: corio::Runtime,
    server: corio::streams::Server,
    addr: SocketAddr,
    stats: Arc<Stats>,
}

impl Harness {
    fn start() -> Harness {
        let rt = runtime(2);
        let stats = Arc::new(Stats::default());
        let s = stats.clone();
        let server = rt.block_on(async move {
            corio::start_server(move |r, w| echo(r, w, s.clone()), "127.0.0.1", 0).await.expect("start_server")
        });
        let addr = server.local_addrs()[0];
        Harness { rt, server, addr, stats }
    }

    /// Waits (the test's watchdog bounds it) until `ok` holds of the stats.
    fn wait_until(&self, ok: impl Fn(&Stats) -> bool) {
        while !ok(&self.stats) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn stop(self) {
        let Harness { rt, server, .. } = self;
        server.close();
        rt.block_on(server.wait_closed());
        rt.shutdown_timeout(Duration::from_secs(5));
    }
}

/// A well-behaved client: sends a line, waits for its echo.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    line: String,
    sent: usize,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let writer = TcpStream::connect(addr).expect("connect");
        writer.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let reader = BufReader::new(writer.try_clone().unwrap());
        Client { reader, writer, line: String::with_capacity(64), sent: 0 }
    }

    #[track_caller]
    fn round_trip(&mut self) {
        self.sent += 1;
        self.line.clear();
        use std::fmt::Write as _;
        writeln!(self.line, "well-behaved {}", self.sent).unwrap();
        self.writer.write_all(self.line.as_bytes()).expect("well-behaved client: write");
        let sent = self.line.len();
        let mut echo = String::with_capacity(64);
        match self.reader.read_line(&mut echo) {
            Ok(_) => assert_eq!(echo, self.line[..sent], "well-behaved client: wrong echo"),
            Err(e) => panic!("well-behaved client not served: {e}"),
        }
    }
}

/// Sends RST instead of FIN when the socket is closed.
fn set_linger_zero(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: `s` owns a valid socket for the duration of the call, and the
    // option value is a `linger` of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER): {}", io::Error::last_os_error());
}

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn a_64_mib_line_without_newline_is_dropped_in_bounded_memory() {
    with_timeout(LIMIT, || {
        let _serial = serial();
        let h = Harness::start();
        let mut good = Client::connect(h.addr);
        good.round_trip();

        const TOTAL: usize = 64 << 20;
        static XS: [u8; 64 * 1024] = [b'x'; 64 * 1024];
        let phase = Phase::start();
        let mut hostile = TcpStream::connect(h.addr).unwrap();
        hostile.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut sent = 0;
        while sent < TOTAL {
            hostile.write_all(&XS).expect("the server stopped reading the long line");
            sent += XS.len();
            if sent % (4 << 20) == 0 {
                // Served while the long line is still coming in.
                good.round_trip();
            }
        }
        // The end of the line, then a short one: the handler is still there.
        hostile.write_all(b"\nping\n").unwrap();
        let mut tail = [0u8; 8];
        let mut got = 0usize;
        let mut buf = [0u8; 4096];
        while !(tail.ends_with(b"\nping\n") || (got == 5 && tail.ends_with(b"ping\n"))) {
            let n = hostile.read(&mut buf).expect("no echo of the line after the long one");
            assert!(n > 0, "the server closed the connection after a long line");
            got += n;
            for &c in &buf[..n] {
                tail.copy_within(1.., 0);
                tail[7] = c;
            }
        }
        good.round_trip();
        phase.assert_peak_within("64 MiB line", 2);

        // Each overrun drops at most limit + one read chunk.
        let overruns = Stats::get(&h.stats.overruns);
        assert!(overruns >= TOTAL / (DEFAULT_LIMIT + READ_CHUNK) - 1, "only {overruns} overruns for {TOTAL} B");
        drop(hostile);
        h.wait_until(|s| Stats::get(&s.active) == 1);
        phase.assert_nothing_left("64 MiB line");
        drop(good);
        h.stop();
    });
}

#[test]
fn fifty_peers_that_never_read_are_held_at_the_high_water_mark() {
    with_timeout(LIMIT, || {
        let _serial = serial();
        let h = Harness::start();
        let mut good = Client::connect(h.addr);
        good.round_trip();

        const PEERS: usize = 50;
        static LINE: [u8; 1024] = {
            let mut l = [b'y'; 1024];
            l[1023] = b'\n';
            l
        };
        let phase = Phase::start();
        let mut peers: Vec<(TcpStream, usize)> = (0..PEERS)
            .map(|_| {
                let s = TcpStream::connect(h.addr).unwrap();
                s.set_nonblocking(true).unwrap();
                (s, 0)
            })
            .collect();
        // Send lines until every peer's handler sits in `drain` with its
        // writer above the low-water mark: the socket towards the peer is
        // full, and the writer pushes back instead of buffering.
        while Stats::get(&h.stats.draining) < PEERS {
            let mut progress = false;
            for (s, pos) in &mut peers {
                match s.write(&LINE[*pos..]) {
                    Ok(n) => {
                        *pos = (*pos + n) % LINE.len();
                        progress = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("a never-reading peer's write failed: {e}"),
                }
            }
            if !progress {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        // Old and new clients are served while the fifty are stuck.
        for _ in 0..10 {
            good.round_trip();
        }
        let mut fresh = Client::connect(h.addr);
        fresh.round_trip();
        phase.assert_peak_within("50 never-reading peers", PEERS + 2);

        drop(fresh);
        drop(peers);
        h.wait_until(|s| Stats::get(&s.active) == 1);
        good.round_trip();
        phase.assert_nothing_left("50 never-reading peers");
        drop(good);
        h.stop();
    });
}

#[test]
fn a_thousand_connections_reset_mid_line_end_their_handlers() {
    with_timeout(LIMIT, || {
        let _serial = serial();
        let h = Harness::start();
        let mut good = Client::connect(h.addr);
        good.round_trip();

        const BATCH: usize = 100;
        const BATCHES: usize = 10;
        let phase = Phase::start();
        for batch in 0..BATCHES {
            let peers: Vec<TcpStream> = (0..BATCH)
                .map(|i| {
                    let mut s = TcpStream::connect(h.addr).unwrap();
                    set_linger_zero(&s);
                    // Half a line, never finished.
                    write!(s, "peer {batch}/{i} is about to reset this line").unwrap();
                    s
                })
                .collect();
            h.wait_until(|s| Stats::get(&s.started) == 1 + (batch + 1) * BATCH);
            good.round_trip();
            // Closing with SO_LINGER 0 sends RST.
            drop(peers);
            good.round_trip();
            h.wait_until(|s| Stats::get(&s.active) == 1);
        }
        phase.assert_peak_within("1,000 resets mid-line", BATCH + 1);
        good.round_trip();
        phase.assert_nothing_left("1,000 resets mid-line");
        drop(good);
        h.stop();
    });
}
