//! The driver a runtime's idle worker blocks in: the reactor and the timer
//! wheel behind one `park`, plus the handle the rest of the crate finds
//! them through.
//!
//! # Rules
//!
//! 1. `park` computes its timeout from the wheel's next expiration and, in
//!    the same critical section, records `sleeping_until` (the tick it will
//!    sleep to). A timer inserted earlier than that, under the same lock,
//!    calls `Poller::notify()` and clears the record: the parked thread
//!    (or its next `poll`) returns and recomputes. No timer is slept past.
//! 2. `unpark` is `Poller::notify()`, which wakes the current wait or makes
//!    the next one return at once.
//! 3. After waiting, `park` dispatches I/O events, then fires every timer
//!    whose tick has come. Wakers run on the parking worker's thread, so
//!    the tasks land on that worker's own queue.
//! 4. Paused clock: `park(None)` first polls I/O without blocking; if
//!    nothing happened and the runtime is idle (`corio_sched::Handle::
//!    is_idle`: every worker parked, every `block_on` thread parked, no
//!    queued task, no blocking job), it moves the clock to the next timer
//!    and fires it. If the runtime is not idle it waits at most 1 ms of real
//!    time and returns, so the question is asked again.
//! 5. Foreign code the driver runs — wakers of fired timers and of I/O
//!    events — runs after every lock is released, each call behind
//!    `catch_unwind`: a panic is reported on stderr ("corio: a waker
//!    panicked: ...") and the rest of the timers and events are still
//!    dispatched, so `park` always returns normally.
//! 6. Each `call_soon` callback, each skipped (cancelled) callback's
//!    destructor, and each closure or waker dropped at shutdown runs
//!    behind its own `catch_unwind`: one panic loses none of the others.
//! 7. `call_soon` queue: a push sets `draining` and, if it was clear,
//!    starts one drain job; the job takes the queued batch, runs it, and
//!    under the lock either clears `draining` (queue empty) or starts the
//!    next job. So at most one drain job exists, and every callback pushed
//!    is run by one (loom: `call_soon_push_vs_drain_end_runs_every_callback_once`).

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::loom::Mutex;
use crate::reactor::Reactor;
use crate::time::callback::CallbackState;
use crate::time::clock::Clock;
use crate::time::entry::{Insert, Notify, TimerShared, TimerWheel};

/// Real time the paused driver waits before asking again whether the
/// runtime went idle (rule 4).
const PAUSED_RECHECK: Duration = Duration::from_millis(1);

pub(crate) struct TimerState {
    pub(crate) wheel: TimerWheel,
    /// Rule 1: the tick the parked thread sleeps to, if one does.
    sleeping_until: Option<u64>,
}

impl TimerState {
    pub(crate) fn new() -> TimerState {
        TimerState { wheel: TimerWheel::new(), sleeping_until: None }
    }

    /// Rule 1: files `timer` at `tick`; the flag says the parked thread
    /// sleeps past it and must be notified.
    pub(crate) fn file(&mut self, timer: &crate::loom::Arc<TimerShared>, tick: Option<u64>) -> (Insert, bool) {
        let outcome = TimerShared::reset(timer, &mut self.wheel, tick);
        let notify = match (tick, self.sleeping_until) {
            (Some(t), Some(until)) if t < until => {
                self.sleeping_until = None;
                true
            }
            _ => false,
        };
        (outcome, notify)
    }

    /// Rule 1: the next expiration, recorded as what the parker sleeps to.
    pub(crate) fn begin_sleep(&mut self) -> Option<u64> {
        let next = self.wheel.next_expiration();
        self.sleeping_until = Some(next.unwrap_or(u64::MAX));
        next
    }

    /// Rule 4: the next expiration and, unless the runtime is `idle` with
    /// a timer to jump to, rule 1's record, in one critical section: a
    /// timer filed from now on (say by a `block_on` thread woken from
    /// outside) notifies the wait that follows.
    pub(crate) fn begin_paused_wait(&mut self, idle: bool) -> Option<u64> {
        let next = self.wheel.next_expiration();
        if !(idle && next.is_some()) {
            self.sleeping_until = Some(u64::MAX);
        }
        next
    }

    pub(crate) fn end_sleep(&mut self) {
        self.sleeping_until = None;
    }
}

pub(crate) type Callback = (crate::loom::Arc<CallbackState>, Box<dyn FnOnce() + Send>);

/// The `call_soon` queue and its drain flag (rule 7).
pub(crate) struct CallSoon {
    queue: VecDeque<Callback>,
    draining: bool,
}

impl CallSoon {
    pub(crate) fn new() -> CallSoon {
        CallSoon { queue: VecDeque::new(), draining: false }
    }

    /// Rule 7: queues `cb`; `true` if the caller must start a drain job.
    pub(crate) fn push(&mut self, cb: Callback) -> bool {
        self.queue.push_back(cb);
        !std::mem::replace(&mut self.draining, true)
    }

    /// Rule 7: the drain job takes what is queued now.
    pub(crate) fn take_batch(&mut self) -> VecDeque<Callback> {
        std::mem::take(&mut self.queue)
    }

    /// Rule 7: nothing queued and no drain job (the loom models).
    #[cfg(all(test, corio_loom))]
    pub(crate) fn is_idle(&self) -> bool {
        self.queue.is_empty() && !self.draining
    }

    /// Rule 7: the drain job ran its batch; `true` if it must start another
    /// (callbacks arrived meanwhile), else the flag is cleared.
    pub(crate) fn finish_batch(&mut self) -> bool {
        self.draining = !self.queue.is_empty();
        self.draining
    }
}

/// What the driver and every handle share.
pub(crate) struct Inner {
    pub(crate) clock: Clock,
    pub(crate) timers: Mutex<TimerState>,
    pub(crate) reactor: Reactor,
    call_soon: Mutex<CallSoon>,
    /// The runtime's SIGCHLD list of children, made on first use
    /// (`process/mod.rs`, rule 1).
    #[cfg(not(corio_loom))]
    pub(crate) sigchld: Mutex<Option<crate::loom::Arc<crate::process::SigchldReaper>>>,
}

/// A handle to a runtime's I/O and time driver. The facade stores one in
/// the scheduler's extension slot; the crate finds it with
/// [`IoHandle::current`].
#[derive(Clone)]
pub struct IoHandle {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for IoHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoHandle").field("paused", &self.inner.clock.is_paused()).finish()
    }
}

/// The driver: implements [`corio_sched::Driver`].
pub struct IoDriver {
    inner: Arc<Inner>,
}

impl fmt::Debug for IoDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoDriver").finish_non_exhaustive()
    }
}

/// Makes a driver and its handle. `paused`: virtual time (see
/// `docs/io.md`).
pub fn new_driver(paused: bool) -> io::Result<(IoDriver, IoHandle)> {
    let inner = Arc::new(Inner {
        clock: Clock::new(paused),
        timers: Mutex::new(TimerState::new()),
        reactor: Reactor::new()?,
        call_soon: Mutex::new(CallSoon::new()),
        #[cfg(not(corio_loom))]
        sigchld: Mutex::new(None),
    });
    Ok((IoDriver { inner: inner.clone() }, IoHandle { inner }))
}

impl IoHandle {
    /// The driver of the runtime this thread runs in.
    ///
    /// # Panics
    ///
    /// Outside a runtime ("no running corio runtime"), or in a runtime built
    /// without corio-io's driver.
    #[track_caller]
    pub fn current() -> IoHandle {
        match IoHandle::try_current() {
            Some(h) => h,
            None if corio_sched::Handle::try_current().is_some() => {
                panic!("no running corio runtime with an I/O and time driver: build it with corio::Builder")
            }
            None => panic!("no running corio runtime: call this inside corio::run / Runtime::block_on or a task"),
        }
    }

    /// The driver of the runtime this thread runs in, if any.
    pub fn try_current() -> Option<IoHandle> {
        let sched = corio_sched::Handle::try_current()?;
        IoHandle::from_sched(&sched)
    }

    /// The driver a scheduler handle carries, if any.
    pub fn from_sched(sched: &corio_sched::Handle) -> Option<IoHandle> {
        sched.extension()?.downcast_ref::<IoHandle>().cloned()
    }

    /// The driver's current time.
    pub fn now(&self) -> Instant {
        self.inner.clock.now()
    }

    /// `true` if this driver's clock is paused (virtual time).
    pub fn is_paused(&self) -> bool {
        self.inner.clock.is_paused()
    }

    /// Rule 1: files `timer` for `deadline` (or takes it out for `None`).
    /// `false` if it had fired already.
    pub(crate) fn reset_timer(&self, timer: &crate::loom::Arc<TimerShared>, deadline: Option<Instant>) -> bool {
        // A deadline already reached fires now: tick 0 is always behind the
        // wheel, which refuses it. (Rounding it up to the next tick instead
        // would give a `wait_for(ZERO)` future up to 1 ms more.)
        let tick = deadline.map(|d| if d <= self.now() { 0 } else { self.inner.clock.deadline_tick(d) });
        let (outcome, notify_driver) = self.inner.timers.lock().file(timer, tick);
        if notify_driver {
            self.inner.reactor.notify();
        }
        match outcome {
            Insert::Pending => true,
            Insert::Fired(notify) => {
                self.inner.run_notify(notify, None);
                true
            }
            Insert::AlreadyFired => false,
        }
    }

    /// Takes `timer` out of the wheel if it is pending.
    pub(crate) fn cancel_timer(&self, timer: &crate::loom::Arc<TimerShared>) -> bool {
        let mut state = self.inner.timers.lock();
        TimerShared::cancel(timer, &mut state.wheel)
    }

    /// Fires every timer whose tick has come (rule 3).
    pub(crate) fn process_timers(&self) -> usize {
        self.inner.process_timers()
    }

    /// Queues `f` to run soon on the runtime, after every callback queued
    /// before it (asyncio's `call_soon` FIFO).
    pub(crate) fn call_soon(&self, state: crate::loom::Arc<CallbackState>, f: Box<dyn FnOnce() + Send>) {
        self.inner.push_callback((state, f), None);
    }

    /// `call_soon` from a thread that may be outside the runtime.
    pub fn call_soon_on(&self, sched: &corio_sched::Handle, f: Box<dyn FnOnce() + Send>) -> crate::CallbackHandle {
        let state = CallbackState::new();
        self.inner.push_callback((state.clone(), f), Some(sched));
        crate::CallbackHandle::new(state, None)
    }
}

impl Inner {
    fn process_timers(self: &Arc<Self>) -> usize {
        let now = self.clock.now_tick();
        let mut fired = Vec::new();
        let mut notifies = Vec::new();
        {
            let mut state = self.timers.lock();
            if state.wheel.next_expiration().is_none_or(|t| t > now) {
                state.wheel.poll(now, &mut fired);
                return 0;
            }
            state.wheel.poll(now, &mut fired);
            notifies.extend(fired.iter().map(|t| t.fire()));
        }
        // Callbacks go to the FIFO `call_soon` queue in firing order. The
        // scheduler puts a task woken on a worker into its LIFO slot, moving
        // the slot's previous task to the back of the local queue: waking
        // the first-fired waker last makes the worker run the woken tasks
        // in firing order (first, then the queue in order).
        let n = notifies.len();
        let mut wakers = Vec::new();
        for notify in notifies {
            match notify {
                Notify::Waker(w) => wakers.push(w),
                other => self.run_notify(other, None),
            }
        }
        // Rule 5: each wake behind `catch_unwind`.
        if !wakers.is_empty() {
            let first = wakers.remove(0);
            wakers.into_iter().for_each(wake_caught);
            wake_caught(first);
        }
        n
    }

    fn run_notify(self: &Arc<Self>, notify: Notify, sched: Option<&corio_sched::Handle>) {
        match notify {
            Notify::Empty => {}
            Notify::Waker(w) => wake_caught(w),
            Notify::Callback(state, f) => self.push_callback((state, f), sched),
        }
    }

    fn push_callback(self: &Arc<Self>, cb: Callback, sched: Option<&corio_sched::Handle>) {
        let start = self.call_soon.lock().push(cb);
        if start {
            let inner = self.clone();
            let job: Box<dyn FnOnce() + Send> = Box::new(move || inner.drain_callbacks());
            match sched.cloned().or_else(corio_sched::Handle::try_current) {
                Some(h) => h.run_job(job),
                None => panic!("no running corio runtime: call this inside corio::run / Runtime::block_on or a task"),
            }
        }
    }

    /// Runs the callbacks that were queued when this drain started, in FIFO
    /// order — asyncio runs callbacks added meanwhile on the next loop
    /// iteration, so a callback that keeps rescheduling itself cannot hold a
    /// worker. Whatever arrived meanwhile goes to a fresh drain job, behind
    /// the tasks already queued.
    fn drain_callbacks(self: &Arc<Self>) {
        let batch = self.call_soon.lock().take_batch();
        // Rule 6: each callback, and each skipped (cancelled) callback's
        // destructor, behind its own `catch_unwind`: one panic loses none
        // of the others and cannot leave `draining` set.
        for (state, f) in batch {
            if state.begin_run() {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                    eprintln!("corio: exception in callback: {}", panic_message(&*payload));
                }
            } else if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(f))) {
                eprintln!("corio: a cancelled callback's destructor panicked: {}", panic_message(&*payload));
            }
        }
        if self.call_soon.lock().finish_batch() {
            let inner = self.clone();
            let job: Box<dyn FnOnce() + Send> = Box::new(move || inner.drain_callbacks());
            match corio_sched::Handle::try_current() {
                Some(h) => h.run_job(job),
                None => job(),
            }
        }
    }

    fn park(self: &Arc<Self>, timeout: Option<Duration>) {
        if self.clock.is_paused() {
            return self.park_paused(timeout);
        }
        let wait = self.prepare_sleep(timeout);
        self.reactor.poll(wait);
        self.timers.lock().end_sleep();
        self.process_timers();
    }

    /// Rule 1: the wait's timeout, and `sleeping_until` recorded.
    fn prepare_sleep(&self, timeout: Option<Duration>) -> Option<Duration> {
        if timeout == Some(Duration::ZERO) {
            return timeout;
        }
        let next = self.timers.lock().begin_sleep();
        let timer_wait = next.map(|tick| self.clock.tick_instant(tick).saturating_duration_since(Instant::now()));
        match (timeout, timer_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Rule 4.
    fn park_paused(self: &Arc<Self>, timeout: Option<Duration>) {
        let events = self.reactor.poll(Some(Duration::ZERO));
        let fired = self.process_timers();
        if events > 0 || fired > 0 || timeout == Some(Duration::ZERO) {
            return;
        }
        let idle = corio_sched::Handle::try_current().is_some_and(|h| h.is_idle());
        let next = self.timers.lock().begin_paused_wait(idle);
        if idle && let Some(tick) = next {
            self.clock.advance_to(self.clock.tick_instant(tick));
            self.process_timers();
            return;
        }
        let wait =
            if idle && timeout.is_none() { None } else { Some(timeout.unwrap_or(PAUSED_RECHECK).min(PAUSED_RECHECK)) };
        self.reactor.poll(wait);
        self.timers.lock().end_sleep();
        self.process_timers();
    }
}

impl corio_sched::Driver for IoDriver {
    fn park(&self, timeout: Option<Duration>) {
        self.inner.park(timeout);
    }

    fn unpark(&self) {
        self.inner.reactor.notify();
    }

    /// Every task is cancelled: pending timers and `call_soon` callbacks
    /// will never run. Their closures may hold `Handle`s, `TaskRef`s or
    /// sockets of this runtime — a cycle through the driver that would leak
    /// the whole runtime — so they are dropped now, outside the locks, and
    /// sockets still open learn that the driver is gone.
    fn shutdown(&self) {
        let timers = self.inner.timers.lock().wheel.drain();
        // Marks each timer fired (so a late `cancel` finds nothing to do) and
        // takes its waker or closure out, to drop after the lock.
        let notifies: Vec<Notify> = timers.iter().map(|t| t.fire()).collect();
        let callbacks = std::mem::take(&mut self.inner.call_soon.lock().queue);
        drop(timers);
        // Rule 6: one panicking destructor must not skip the others nor
        // the reactor's shutdown below.
        notifies.into_iter().for_each(drop_caught);
        callbacks.into_iter().for_each(drop_caught);
        self.inner.reactor.shutdown();
    }
}

impl Drop for IoDriver {
    fn drop(&mut self) {
        self.inner.reactor.shutdown();
    }
}

/// Rules 5 and 6: wakes `waker`, reporting a panic instead of unwinding
/// into the driver (and out of the dispatch of everything else).
pub(crate) fn wake_caught(waker: Waker) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || waker.wake())) {
        eprintln!("corio: a waker panicked: {}", panic_message(&*payload));
    }
}

/// Rule 6: drops `value` (user code: a closure, a waker), reporting a
/// panicking destructor.
pub(crate) fn drop_caught<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        eprintln!("corio: a destructor panicked: {}", panic_message(&*payload));
    }
}

/// The panic's message, or a stand-in for a payload that is not a string.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    corio_sched::task::panic_message(payload).unwrap_or_else(|| "non-string panic payload".to_string())
}
