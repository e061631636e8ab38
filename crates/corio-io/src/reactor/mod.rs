//! The reactor: one `polling::Poller`, a slab of registrations, and the
//! dispatch of readiness events to them.
//!
//! # Rules
//!
//! 1. A source is added to the poller edge-triggered for both directions,
//!    with key `index | generation << GEN_SHIFT`, where `index` is its slab
//!    slot and `generation` a counter bumped per registration.
//! 2. Dispatch looks the key up under the slab lock and ignores it unless
//!    the slot holds a registration of the same generation: an event still
//!    in flight for a source deregistered meanwhile (its slot maybe reused)
//!    is dropped, never delivered to a stranger.
//! 3. Deregistration deletes the source from the poller before the slab
//!    slot is freed and before the source is closed (polling's safety
//!    contract for `add`).
//! 4. Every poll is one tick: readiness it sets carries that tick
//!    (`scheduled_io.rs`, rule 2). Only one thread polls at a time (the
//!    scheduler lets one worker into the driver; the events buffer is
//!    behind a `try_lock` anyway).
//! 5. Dispatch runs no foreign code under a lock: readiness is set under
//!    the poll lock, the wakers run after it is released, each behind
//!    `catch_unwind`, so a panicking waker neither aborts the dispatch of
//!    the other events nor leaves a lock or the driver's state behind.
//! 6. `notify` sets `notified` before it notifies the poller. A poll can
//!    consume the poller's notification without the caller knowing (the
//!    paused driver's zero-timeout poll does), so whoever blocks after such
//!    a poll first takes the flag: an unpark is never slept through.

pub(crate) mod registration;
pub(crate) mod scheduled_io;

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use polling::{Event, Events, PollMode, Poller};
use slab::Slab;

use crate::loom::{Arc, AtomicBool, Mutex, Ordering};
use scheduled_io::{READABLE, ScheduledIo, WRITABLE};

const GEN_SHIFT: u32 = 24;
const INDEX_MASK: usize = (1 << GEN_SHIFT) - 1;
const GEN_MASK: usize = 0x7F;

struct PollState {
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

/// The poller and its registrations.
pub(crate) struct Reactor {
    poller: Poller,
    registrations: Mutex<Registrations>,
    poll_state: Mutex<PollState>,
    /// Set by `notify`, taken by the paused driver: its zero-timeout poll
    /// can swallow the poller's notification, and an unpark must not be
    /// lost with it (rule 6).
    notified: AtomicBool,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor").field("registrations", &self.registrations.lock().slab.len()).finish()
    }
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        let poller = Poller::new()?;
        if !poller.supports_edge() {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "corio-io needs edge-triggered polling"));
        }
        Ok(Reactor {
            poller,
            registrations: Mutex::new(Registrations { slab: Slab::new(), generation: 0, shut_down: false }),
            poll_state: Mutex::new(PollState { events: Events::new(), tick: 0, woken: Vec::new() }),
            notified: AtomicBool::new(false),
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
            (io, index | generation << GEN_SHIFT)
        };
        // SAFETY: rule 3: every registered source is deleted by
        // `deregister` before it is closed (`PollEvented::drop`).
        let added = unsafe { self.poller.add_with_mode(&fd, Event::all(key), PollMode::Edge) };
        if let Err(e) = added {
            self.registrations.lock().slab.remove(key & INDEX_MASK);
            return Err(e);
        }
        Ok(io)
    }

    /// Rule 3: removes `fd` from the poller, then frees its slot.
    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>, io: &Arc<ScheduledIo>) {
        let _ = self.poller.delete(fd);
        let mut regs = self.registrations.lock();
        if regs.slab.get(io.index).is_some_and(|r| Arc::ptr_eq(r, io)) {
            regs.slab.remove(io.index);
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
        let _ = self.poller.notify();
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
        let mut woken = {
            let Some(mut state) = self.poll_state.try_lock() else { return 0 };
            let state = &mut *state;
            state.events.clear();
            if let Err(e) = self.poller.wait(&mut state.events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                panic!("corio-io: polling failed: {e}");
            }
            if state.events.is_empty() {
                return 0;
            }
            state.tick = state.tick.wrapping_add(1);
            let mut woken = std::mem::take(&mut state.woken);
            {
                let regs = self.registrations.lock();
                for ev in state.events.iter() {
                    let index = ev.key & INDEX_MASK;
                    let generation = ev.key >> GEN_SHIFT;
                    // Rule 2.
                    if let Some(io) = regs.slab.get(index).filter(|io| io.generation == generation) {
                        let ready = (usize::from(ev.readable) * READABLE) | (usize::from(ev.writable) * WRITABLE);
                        woken.push((io.clone(), ready));
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
