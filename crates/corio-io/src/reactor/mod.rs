//! The reactor: one epoll set (through `mio::Poll`), a slab of
//! registrations, and the dispatch of readiness events to them.
//!
//! Why mio and not `polling`: `polling::Poller::wait` costs five syscalls
//! per wait on Linux (`timerfd_settime`, an `epoll_ctl` to re-arm the timer,
//! `epoll_wait`, a `read` of its eventfd and an `epoll_ctl` to re-arm it),
//! and it cannot ask for `EPOLLRDHUP`. mio's wait is one `epoll_wait` (the
//! timeout is its argument, the waker an edge-triggered eventfd that is
//! never read), and its events say when the peer closed its half — which
//! is what lets a short read clear readiness without losing an EOF
//! (`scheduled_io.rs`, rule 2). Measured in `docs/benchmarks.md` (echo,
//! http rows).
//!
//! # Rules
//!
//! 1. A source is added to the epoll set edge-triggered for both
//!    directions and for the peer's close (`EPOLLRDHUP`), with token
//!    `index | generation << GEN_SHIFT`, where `index` is its slab slot and
//!    `generation` a counter bumped per registration.
//! 2. Dispatch looks the key up under the slab lock and ignores it unless
//!    the slot holds a registration of the same generation: an event still
//!    in flight for a source deregistered meanwhile (its slot maybe reused)
//!    is dropped, never delivered to a stranger.
//! 3. Deregistration deletes the source from the epoll set before the slab
//!    slot is freed and before the source is closed (a closed descriptor
//!    stays in the set while a `dup` of it lives, and its number may be
//!    reused).
//! 4. Every poll is one tick: readiness it sets carries that tick
//!    (`scheduled_io.rs`, rule 2). Only one thread polls at a time (the
//!    scheduler lets one worker into the driver; the events buffer is
//!    behind a `try_lock` anyway).
//! 5. Dispatch runs no foreign code under a lock: readiness is set under
//!    the poll lock, the wakers run after it is released, each behind
//!    `catch_unwind`, so a panicking waker neither aborts the dispatch of
//!    the other events nor leaves a lock or the driver's state behind.
//! 6. `notify` sets `notified` before it wakes the epoll set. A poll can
//!    consume the waker's edge without the caller knowing (the
//!    paused driver's zero-timeout poll does), so whoever blocks after such
//!    a poll first takes the flag: an unpark is never slept through.
//! 7. A zero-timeout poll while no source is registered is skipped: the only
//!    event it could return is the waker's, which nobody waits for then (a
//!    busy worker's look at the driver every `event_interval` ticks). So a
//!    runtime without I/O makes no system call per 61 tasks polled. Skipping
//!    consumes nothing, so it cannot lose a notification (rule 6); a source
//!    registered while the count is read is seen by the next poll, as if
//!    this one had run a moment earlier.

pub(crate) mod registration;
pub(crate) mod scheduled_io;

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use slab::Slab;

use crate::loom::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering};
use scheduled_io::{READ_CLOSED, READABLE, ScheduledIo, WRITABLE, WRITE_CLOSED};

/// The waker's token: outside every registration's (index < 2^24,
/// generation ≤ 0x7F).
const WAKER: Token = Token(usize::MAX);
/// Events taken per `epoll_wait`.
const EVENTS: usize = 1024;

const GEN_SHIFT: u32 = 24;
const INDEX_MASK: usize = (1 << GEN_SHIFT) - 1;
const GEN_MASK: usize = 0x7F;

struct PollState {
    poll: Poll,
    events: Events,
    tick: u64,
    woken: Vec<(Arc<ScheduledIo>, usize)>,
}

struct Registrations {
    slab: Slab<Arc<ScheduledIo>>,
    generation: usize,
    /// The driver shut down: no new source may register (it would never
    /// be told, and its operations would wait forever).
    shut_down: bool,
}

/// The epoll set and its registrations.
pub(crate) struct Reactor {
    /// Adds and deletes sources from any thread (a `dup` of the poll's
    /// epoll descriptor).
    registry: Registry,
    waker: Waker,
    registrations: Mutex<Registrations>,
    poll_state: Mutex<PollState>,
    /// Set by `notify`, taken by the paused driver: its zero-timeout poll
    /// can swallow the poller's notification, and an unpark must not be
    /// lost with it (rule 6).
    notified: AtomicBool,
    /// Sources registered now, readable without the registrations' lock (rule 7).
    live: AtomicUsize,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor").field("registrations", &self.registrations.lock().slab.len()).finish()
    }
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(&registry, WAKER)?;
        Ok(Reactor {
            registry,
            waker,
            registrations: Mutex::new(Registrations { slab: Slab::new(), generation: 0, shut_down: false }),
            poll_state: Mutex::new(PollState {
                poll,
                events: Events::with_capacity(EVENTS),
                tick: 0,
                woken: Vec::new(),
            }),
            notified: AtomicBool::new(false),
            live: AtomicUsize::new(0),
        })
    }

    /// Rule 1: registers `fd`. The caller must call [`deregister`] before
    /// the source is closed.
    ///
    /// [`deregister`]: Reactor::deregister
    pub(crate) fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<ScheduledIo>> {
        let (io, key) = {
            let mut regs = self.registrations.lock();
            if regs.shut_down {
                return Err(io::Error::other("the corio runtime's I/O driver has shut down"));
            }
            regs.generation = (regs.generation + 1) & GEN_MASK;
            let generation = regs.generation;
            let entry = regs.slab.vacant_entry();
            let index = entry.key();
            if index > INDEX_MASK {
                return Err(io::Error::other("corio-io: too many registered sources"));
            }
            let io = Arc::new(ScheduledIo::new(index, generation));
            entry.insert(io.clone());
            // ORDERING: Relaxed: a hint for skipping polls (rule 7), kept equal to the slab's
            // length under its lock; it publishes nothing.
            self.live.store(regs.slab.len(), Ordering::Relaxed);
            (io, index | generation << GEN_SHIFT)
        };
        // Rule 3: every registered source is deleted by `deregister` before
        // it is closed (`PollEvented::drop`).
        let raw = fd.as_raw_fd();
        let added = self.registry.register(&mut SourceFd(&raw), Token(key), Interest::READABLE | Interest::WRITABLE);
        if let Err(e) = added {
            let mut regs = self.registrations.lock();
            regs.slab.remove(key & INDEX_MASK);
            // ORDERING: as in `register` above.
            self.live.store(regs.slab.len(), Ordering::Relaxed);
            return Err(e);
        }
        Ok(io)
    }

    /// Rule 3: removes `fd` from the poller, then frees its slot.
    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>, io: &Arc<ScheduledIo>) {
        let _ = self.registry.deregister(&mut SourceFd(&fd.as_raw_fd()));
        let mut regs = self.registrations.lock();
        if regs.slab.get(io.index).is_some_and(|r| Arc::ptr_eq(r, io)) {
            regs.slab.remove(io.index);
            // ORDERING: as in `register`.
            self.live.store(regs.slab.len(), Ordering::Relaxed);
        }
    }

    /// Sources registered now (for `RuntimeMetrics::io_sources`).
    pub(crate) fn sources(&self) -> usize {
        self.registrations.lock().slab.len()
    }

    /// Wakes the thread blocked in [`poll`](Reactor::poll), or makes the
    /// next poll return at once.
    pub(crate) fn notify(&self) {
        // A swap, not a store: the same here, and what loom orders right.
        self.notified.swap(true, Ordering::SeqCst);
        let _ = self.waker.wake();
    }

    /// Rule 6: `true` once per `notify` since the last call.
    pub(crate) fn take_notified(&self) -> bool {
        self.notified.swap(false, Ordering::SeqCst)
    }

    /// Rule 4: waits up to `timeout` for events and dispatches them.
    /// Returns the number of sources made ready.
    ///
    /// Rule 5: every source's readiness is set under the poll lock, then the
    /// lock is released and the waiters are woken, each wake behind
    /// `catch_unwind` (`ScheduledIo::wake`): a panicking foreign waker is
    /// reported and the rest of the dispatch goes on.
    pub(crate) fn poll(&self, timeout: Option<Duration>) -> usize {
        // Rule 7. ORDERING: Relaxed: a stale count only moves this look to the next poll.
        if timeout == Some(Duration::ZERO) && self.live.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        let mut woken = {
            let Some(mut state) = self.poll_state.try_lock() else { return 0 };
            let state = &mut *state;
            if let Err(e) = state.poll.poll(&mut state.events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                panic!("corio-io: epoll_wait failed: {e}");
            }
            if state.events.is_empty() {
                return 0;
            }
            state.tick = state.tick.wrapping_add(1);
            let mut woken = std::mem::take(&mut state.woken);
            {
                let regs = self.registrations.lock();
                for ev in state.events.iter() {
                    let key = ev.token().0;
                    if ev.token() == WAKER {
                        continue;
                    }
                    let index = key & INDEX_MASK;
                    let generation = key >> GEN_SHIFT;
                    // Rule 2.
                    if let Some(io) = regs.slab.get(index).filter(|io| io.generation == generation) {
                        woken.push((io.clone(), ready_bits(ev)));
                    }
                }
            }
            for (io, ready) in &woken {
                io.mark_ready(state.tick, *ready);
            }
            woken
        };
        let n = woken.len();
        for (io, ready) in woken.drain(..) {
            io.wake(ready);
        }
        // Keep the buffer's allocation for the next poll.
        if let Some(mut state) = self.poll_state.try_lock()
            && state.woken.capacity() < woken.capacity()
        {
            state.woken = woken;
        }
        n
    }

    /// Marks every registration dead (the driver is shutting down).
    pub(crate) fn shutdown(&self) {
        let all: Vec<_> = {
            let mut regs = self.registrations.lock();
            regs.shut_down = true;
            regs.slab.iter().map(|(_, io)| io.clone()).collect()
        };
        for io in all {
            io.shutdown();
        }
    }
}

/// An epoll event as readiness bits. An error makes both directions ready
/// (the next syscall reports it); a hang-up or the peer's half-close
/// (`EPOLLRDHUP`) makes its directions ready and closed.
fn ready_bits(ev: &mio::event::Event) -> usize {
    let error = ev.is_error();
    let mut ready = 0;
    if ev.is_readable() || ev.is_read_closed() || error {
        ready |= READABLE;
    }
    if ev.is_writable() || ev.is_write_closed() || error {
        ready |= WRITABLE;
    }
    if ev.is_read_closed() {
        ready |= READ_CLOSED;
    }
    if ev.is_write_closed() {
        ready |= WRITE_CLOSED;
    }
    ready
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    use super::*;

    /// Rule 7: the count that lets a zero-timeout poll be skipped follows registration, and
    /// once a source is registered the zero-timeout poll runs and dispatches its readiness.
    #[test]
    fn a_zero_timeout_poll_is_skipped_only_while_no_source_is_registered() {
        let reactor = Reactor::new().unwrap();
        reactor.notify();
        assert_eq!(reactor.poll(Some(Duration::ZERO)), 0);
        assert_eq!(reactor.live.load(Ordering::Relaxed), 0);
        // Skipping took nothing: the notification is still there for whoever blocks next.
        assert!(reactor.take_notified());

        let (a, mut b) = UnixStream::pair().unwrap();
        let io = reactor.register(a.as_fd()).unwrap();
        assert_eq!(reactor.live.load(Ordering::Relaxed), 1);
        b.write_all(b"x").unwrap();
        assert_eq!(reactor.poll(Some(Duration::ZERO)), 1, "a registered source's readiness is dispatched");

        reactor.deregister(a.as_fd(), &io);
        assert_eq!(reactor.live.load(Ordering::Relaxed), 0);
        assert_eq!(reactor.sources(), 0);
    }
}
