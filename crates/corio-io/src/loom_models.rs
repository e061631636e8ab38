//! loom models of corio-io's lock-free protocols. Each model's name says
//! what it proves. Run with
//! `RUSTFLAGS="--cfg corio_loom --cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p corio-io --lib`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::driver::{IoHandle, TimerState, new_driver};
use crate::loom::{Arc, AtomicUsize, Mutex, Ordering};
use crate::reactor::scheduled_io::{Direction, READ_CLOSED, READABLE, SHUTDOWN, ScheduledIo, TICK_MASK, WRITABLE};
use crate::time::call_soon::CallSoon;
use crate::time::entry::CallbackState;
use crate::time::entry::{Insert, Notify, TimerShared, TimerSlot};
use crate::time::{CallbackHandle, Sleep, TimeoutHandle};

/// A waker that counts its wakes in a loom atomic.
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn count_waker() -> (std::sync::Arc<CountWaker>, Waker) {
    let w = std::sync::Arc::new(CountWaker(AtomicUsize::new(0)));
    (w.clone(), Waker::from(w))
}

/// A source with no readiness (as after a `WouldBlock`).
fn not_ready_io() -> ScheduledIo {
    let io = ScheduledIo::new(0, 0);
    let (_w, waker) = count_waker();
    let mut cx = Context::from_waker(&waker);
    for dir in [Direction::Read, Direction::Write] {
        if let Poll::Ready(ev) = io.poll_ready(&mut cx, dir, None) {
            io.clear_readiness(ev);
        }
    }
    io
}

#[test]
fn readiness_event_during_an_attempt_survives_the_stale_clear() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new(0, 0));
        let reactor = {
            let io = io.clone();
            loom::thread::spawn(move || io.set_readiness(1, READABLE))
        };
        let (_w, waker) = count_waker();
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(ev) = io.poll_ready(&mut cx, Direction::Read, None) else {
            panic!("a new source starts ready")
        };
        // The syscall said WouldBlock: clear what we saw.
        io.clear_readiness(ev);
        reactor.join().unwrap();
        if ev.tick() == 0 {
            // We acted on the initial readiness, not on the event: the
            // event must have survived our clear.
            assert_ne!(io.readiness() & READABLE, 0, "event lost by a stale clear");
        }
    });
}

#[test]
fn a_short_reads_clear_never_loses_the_peers_close() {
    loom::model(|| {
        let io = Arc::new(not_ready_io());
        // The data's edge.
        io.set_readiness(1, READABLE);
        let reactor = {
            let io = io.clone();
            // The FIN's edge, racing the reader.
            loom::thread::spawn(move || io.set_readiness(2, READABLE | READ_CLOSED))
        };
        let (_w, waker) = count_waker();
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(ev) = io.poll_ready(&mut cx, Direction::Read, None) else {
            panic!("the data's edge made it readable")
        };
        // The read came back short: the buffer is drained.
        io.clear_drained(ev);
        reactor.join().unwrap();
        // Whichever edge the read saw, the next read attempts the syscall
        // (and gets the EOF) instead of waiting for an edge that never comes.
        assert!(io.poll_ready(&mut cx, Direction::Read, None).is_ready(), "the peer's close was lost");
        assert_ne!(io.readiness() & READ_CLOSED, 0);
    });
}

#[test]
fn readiness_clear_with_the_current_tick_clears() {
    loom::model(|| {
        let io = not_ready_io();
        assert_eq!(io.readiness() & READABLE, 0);
    });
}

#[test]
fn a_waiter_registering_while_an_event_arrives_is_never_lost() {
    loom::model(|| {
        let io = Arc::new(not_ready_io());
        let (count, waker) = count_waker();
        let reactor = {
            let io = io.clone();
            loom::thread::spawn(move || io.set_readiness(1, READABLE))
        };
        let mut cx = Context::from_waker(&waker);
        let ready = io.poll_ready(&mut cx, Direction::Read, None).is_ready();
        reactor.join().unwrap();
        assert!(ready || count.0.load(Ordering::SeqCst) == 1, "event lost: not ready and not woken");
    });
}

#[test]
fn timer_cancel_and_fire_never_both_happen() {
    loom::model(|| {
        let state = Arc::new(Mutex::new(TimerState::new()));
        let (count, waker) = count_waker();
        let timer = TimerShared::new(Notify::Waker(waker));
        let (outcome, _) = state.lock().file(&timer, Some(5));
        assert!(matches!(outcome, Insert::Pending));
        let firer = {
            let state = state.clone();
            loom::thread::spawn(move || {
                let notifies: Vec<_> = {
                    let mut st = state.lock();
                    let mut fired = Vec::new();
                    st.wheel.poll(10, &mut fired);
                    fired.into_iter().map(TimerSlot::fire).collect()
                };
                for n in notifies {
                    if let Notify::Waker(w) = n {
                        w.wake();
                    }
                }
            })
        };
        let cancelled = TimerShared::cancel(&timer, &mut state.lock().wheel);
        firer.join().unwrap();
        let woken = count.0.load(Ordering::SeqCst);
        if cancelled {
            assert_eq!(woken, 0, "a cancelled timer fired");
            assert!(!timer.is_fired());
        } else {
            assert_eq!(woken, 1, "a timer that was not cancelled did not fire");
            assert!(timer.is_fired());
        }
        assert!(state.lock().wheel.is_empty());
    });
}

#[test]
fn timer_waiter_registration_and_fire_never_lose_the_wake() {
    loom::model(|| {
        let state = Arc::new(Mutex::new(TimerState::new()));
        let timer = TimerShared::new(Notify::Empty);
        let _ = state.lock().file(&timer, Some(3));
        let firer = {
            let state = state.clone();
            loom::thread::spawn(move || {
                let notifies: Vec<_> = {
                    let mut st = state.lock();
                    let mut fired = Vec::new();
                    st.wheel.poll(3, &mut fired);
                    fired.into_iter().map(TimerSlot::fire).collect()
                };
                for n in notifies {
                    if let Notify::Waker(w) = n {
                        w.wake();
                    }
                }
            })
        };
        let (count, waker) = count_waker();
        let ready = timer.poll_fired(&mut Context::from_waker(&waker)).is_ready();
        firer.join().unwrap();
        assert!(ready || count.0.load(Ordering::SeqCst) == 1, "fire lost");
    });
}

#[test]
fn driver_park_never_sleeps_past_a_timer_filed_concurrently() {
    loom::model(|| {
        let state = Arc::new(Mutex::new(TimerState::new()));
        let notified = Arc::new(AtomicUsize::new(0));
        let filer = {
            let (state, notified) = (state.clone(), notified.clone());
            loom::thread::spawn(move || {
                let timer = TimerShared::new(Notify::Empty);
                let (_, notify) = state.lock().file(&timer, Some(5));
                if notify {
                    // Stands for Poller::notify(): wakes the current or next wait.
                    notified.fetch_add(1, Ordering::SeqCst);
                }
                timer
            })
        };
        // The parker: computes what to sleep to (driver rule 1).
        let next = state.lock().begin_sleep();
        let _timer = filer.join().unwrap();
        let woken = notified.load(Ordering::SeqCst) > 0;
        assert!(woken || next.is_some_and(|n| n <= 5), "would sleep past the timer (next {next:?})");
        state.lock().end_sleep();
    });
}

fn count(w: &std::sync::Arc<CountWaker>) -> usize {
    w.0.load(Ordering::SeqCst)
}

/// Reactor rule 2 at the tick's wrap (2 bits under loom): the event that
/// wraps the tick to 0 during an attempt that read the largest tick still
/// makes the stale clear fail, and the stamp never spills into the ready
/// bits.
#[test]
fn readiness_tick_wrap_never_lets_a_stale_clear_wipe_a_fresh_edge() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new(0, 0));
        // The last poll before the wrap left the largest tick.
        io.set_readiness(TICK_MASK, READABLE);
        let reactor = {
            let io = io.clone();
            loom::thread::spawn(move || io.set_readiness(TICK_MASK.wrapping_add(1), READABLE))
        };
        let (_w, waker) = count_waker();
        let Poll::Ready(ev) = io.poll_ready(&mut Context::from_waker(&waker), Direction::Read, None) else {
            panic!("the source is readable")
        };
        io.clear_readiness(ev);
        reactor.join().unwrap();
        if ev.tick() == TICK_MASK {
            assert_ne!(io.readiness() & READABLE, 0, "the wrapped event was wiped by a stale clear");
        }
        assert_eq!(io.tick(), 0, "the tick wraps to 0");
        assert_eq!(io.readiness() & SHUTDOWN, 0, "the tick spilled into the ready bits");
        assert_ne!(io.readiness() & WRITABLE, 0, "set_readiness cleared a bit");
    });
}

/// Reactor rule 4: a keyed waiter's key from before a wake is stale; when
/// its future gives up it cannot remove a newer waiter that reuses its
/// slab index, so the newer waiter is never lost.
#[test]
fn stale_waiter_key_never_removes_a_newer_waiter() {
    loom::model(|| {
        let io = Arc::new(not_ready_io());
        let (_a, waker_a) = count_waker();
        let mut key_a = None;
        assert!(io.poll_ready(&mut Context::from_waker(&waker_a), Direction::Read, Some(&mut key_a)).is_pending());
        let reactor = {
            let io = io.clone();
            loom::thread::spawn(move || io.set_readiness(1, READABLE))
        };
        // Waiter B: an operation that gets WouldBlock clears and waits.
        let (b, waker_b) = count_waker();
        let mut key_b = None;
        let mut b_pending = false;
        for _ in 0..2 {
            match io.poll_ready(&mut Context::from_waker(&waker_b), Direction::Read, Some(&mut key_b)) {
                Poll::Ready(ev) => io.clear_readiness(ev),
                Poll::Pending => {
                    b_pending = true;
                    break;
                }
            }
        }
        // A gives up (its future is dropped).
        io.remove_waiter(Direction::Read, key_a.unwrap());
        reactor.join().unwrap();
        if b_pending {
            assert!(
                count(&b) == 1 || io.waiter_count(Direction::Read) == 1,
                "waiter B was removed by A's stale key and never woken"
            );
        }
    });
}

/// Reactor rule 5 (one unkeyed waker per direction under loom): a waiter
/// pushed out of the bounded set by a newer one, racing an event, is woken
/// or sees the readiness — never lost.
#[test]
fn unkeyed_waiter_evicted_by_a_newer_one_is_woken_never_lost() {
    loom::model(|| {
        let io = Arc::new(not_ready_io());
        let (a, waker_a) = count_waker();
        let a_ready = io.poll_ready(&mut Context::from_waker(&waker_a), Direction::Read, None).is_ready();
        let reactor = {
            let io = io.clone();
            loom::thread::spawn(move || io.set_readiness(1, READABLE))
        };
        let (b, waker_b) = count_waker();
        let b_ready = io.poll_ready(&mut Context::from_waker(&waker_b), Direction::Read, None).is_ready();
        reactor.join().unwrap();
        assert!(a_ready || count(&a) >= 1, "the evicted waiter was lost");
        assert!(b_ready || count(&b) == 1, "the newer waiter was lost");
        assert!(io.waiter_count(Direction::Read) <= 1);
    });
}

/// A paused driver whose clock is advanced and whose due timers are fired
/// by a second thread (stands for the parked worker).
fn fire_at(handle: &IoHandle, d: Duration) {
    handle.inner.clock.advance(d);
    handle.process_timers();
}

/// `fire_at` on a second thread (the parked worker), racing the model's.
fn fire_on_thread(handle: &IoHandle, d: Duration) -> loom::thread::JoinHandle<()> {
    let handle = handle.clone();
    loom::thread::spawn(move || fire_at(&handle, d))
}

/// `Sleep::reset` racing the fire of the deadline it moves: whichever
/// wins, the sleep never ends before its new deadline, and it does end
/// at it (the timer is neither lost nor early).
#[test]
fn sleep_reset_racing_its_fire_never_ends_before_the_new_deadline() {
    loom::model(|| {
        let (driver, handle) = new_driver(true).unwrap();
        let t0 = handle.now();
        let mut sleep = Sleep::new(handle.clone(), t0 + Duration::from_millis(5));
        let firer = fire_on_thread(&handle, Duration::from_millis(5));
        sleep.reset(t0 + Duration::from_millis(10));
        firer.join().unwrap();
        assert!(!sleep.is_elapsed(), "the sleep ended before its new deadline");
        fire_at(&handle, Duration::from_millis(5));
        assert!(sleep.is_elapsed(), "the reset sleep never fired");
        drop((sleep, driver));
    });
}

/// A sleep polled while its timer fires (`time/entry.rs`, rule 4): the
/// poll either sees the fire (ready) or leaves a waker the fire wakes; a
/// re-poll by the same task (the lock-free path) after the wake is ready,
/// and the sleep is never ready before its tick.
#[test]
fn sleep_poll_racing_its_fire_is_woken_or_ready_never_early() {
    loom::model(|| {
        let (driver, handle) = new_driver(true).unwrap();
        let t0 = handle.now();
        let mut sleep = Sleep::new(handle.clone(), t0 + Duration::from_millis(5));
        let (count, waker) = count_waker();
        let mut cx = Context::from_waker(&waker);
        // Registered before the race: the same task's re-poll takes the
        // lock-free path.
        assert!(Pin::new(&mut sleep).poll(&mut cx).is_pending(), "ready before its tick");
        let firer = fire_on_thread(&handle, Duration::from_millis(5));
        let first = Pin::new(&mut sleep).poll(&mut cx).is_ready();
        firer.join().unwrap();
        if !first {
            assert_eq!(count.0.load(Ordering::SeqCst), 1, "pending and never woken");
        }
        assert!(Pin::new(&mut sleep).poll(&mut cx).is_ready(), "fired but not ready");
        drop((sleep, driver));
    });
}

/// A sleep polled by a new task (a new waker) while its timer fires: the
/// waker swap under the lock and the fire are serialized, so the new waker
/// is woken or the poll sees the fire.
#[test]
fn sleep_waker_swap_racing_its_fire_never_loses_the_wake() {
    loom::model(|| {
        let (driver, handle) = new_driver(true).unwrap();
        let t0 = handle.now();
        let mut sleep = Sleep::new(handle.clone(), t0 + Duration::from_millis(5));
        let (_old, old_waker) = count_waker();
        assert!(Pin::new(&mut sleep).poll(&mut Context::from_waker(&old_waker)).is_pending());
        let firer = fire_on_thread(&handle, Duration::from_millis(5));
        let (count, waker) = count_waker();
        let ready = Pin::new(&mut sleep).poll(&mut Context::from_waker(&waker)).is_ready();
        firer.join().unwrap();
        assert!(ready || count.0.load(Ordering::SeqCst) == 1, "the new waker was neither woken nor ready");
        drop((sleep, driver));
    });
}

/// `TimeoutHandle::reschedule` racing the fire of the current deadline:
/// either it moved the deadline (not expired, `when` is the new one) or
/// the timeout had expired (`false`, `when` unchanged) — never a mix,
/// and a moved deadline still fires.
#[test]
fn timeout_reschedule_racing_the_fire_moves_or_reports_expired() {
    loom::model(|| {
        let (driver, handle) = new_driver(true).unwrap();
        let t0 = handle.now();
        let (first, later) = (t0 + Duration::from_millis(5), t0 + Duration::from_millis(10));
        let th = TimeoutHandle::new(handle.clone(), Some(first));
        let firer = fire_on_thread(&handle, Duration::from_millis(5));
        let moved = th.reschedule(Some(later));
        firer.join().unwrap();
        if moved {
            assert_eq!(th.when(), Some(later));
            assert!(!th.expired(), "expired at the old deadline after a successful reschedule");
        } else {
            assert_eq!(th.when(), Some(first));
            assert!(th.expired(), "reschedule refused but the timeout had not expired");
        }
        fire_at(&handle, Duration::from_millis(5));
        assert!(th.expired(), "the rescheduled deadline never fired");
        drop((th, driver));
    });
}

/// `CallbackHandle::cancel` racing the timer that fires the callback and
/// the drain that runs it (`begin_run`): the callback runs exactly when
/// the cancel failed, once; its closure is dropped either way.
#[test]
fn callback_cancel_racing_fire_and_run_exactly_one_wins() {
    loom::model(|| {
        let (driver, handle) = new_driver(true).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let state = CallbackState::new();
        let f: Box<dyn FnOnce() + Send> = {
            let ran = ran.clone();
            Box::new(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            })
        };
        let timer = TimerShared::new(Notify::Callback(state.clone(), f));
        assert!(handle.reset_timer(&timer, Some(handle.now() + Duration::from_millis(5))));
        let cb = CallbackHandle::new(state, Some((handle.clone(), timer)));
        let firer = {
            let handle = handle.clone();
            loom::thread::spawn(move || {
                handle.inner.clock.advance(Duration::from_millis(5));
                // process_timers, with the drain's rule run in place of
                // queueing on a runtime.
                let notifies: Vec<Notify> = {
                    let mut st = handle.inner.timers.lock();
                    let mut fired = Vec::new();
                    st.wheel.poll(handle.inner.clock.now_tick(), &mut fired);
                    fired.into_iter().map(TimerSlot::fire).collect()
                };
                for n in notifies {
                    if let Notify::Callback(state, f) = n
                        && state.begin_run()
                    {
                        f();
                    }
                }
            })
        };
        let cancelled = cb.cancel();
        firer.join().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), usize::from(!cancelled));
        assert_eq!(cb.cancelled(), cancelled);
        drop((cb, driver));
    });
}

fn drain(q: &Mutex<CallSoon>, active: &AtomicUsize) {
    loop {
        assert_eq!(active.fetch_add(1, Ordering::SeqCst), 0, "two call_soon drain jobs at once");
        let batch = q.lock().take_batch();
        for (state, f) in batch {
            if state.begin_run() {
                f();
            }
        }
        active.fetch_sub(1, Ordering::SeqCst);
        // `true`: start the next job (here: go round again).
        if !q.lock().finish_batch() {
            return;
        }
    }
}

/// Driver rule 7: a `call_soon` push racing the end of a drain: at most one
/// drain job at a time, every callback runs exactly once, and the queue
/// ends idle (the flag is never left set with nobody draining).
#[test]
fn call_soon_push_vs_drain_end_runs_every_callback_once() {
    loom::model(|| {
        let q = Arc::new(Mutex::new(CallSoon::new()));
        let (active, ran) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let callback = |ran: &Arc<AtomicUsize>| {
            let ran = ran.clone();
            let f: Box<dyn FnOnce() + Send> = Box::new(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            });
            (CallbackState::new(), f)
        };
        let pusher = {
            let (q, active, cb) = (q.clone(), active.clone(), callback(&ran));
            loom::thread::spawn(move || {
                if q.lock().push(cb) {
                    drain(&q, &active);
                }
            })
        };
        if q.lock().push(callback(&ran)) {
            drain(&q, &active);
        }
        pusher.join().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 2, "a callback was lost or ran twice");
        assert!(q.lock().is_idle(), "the drain flag was left set");
    });
}

/// Driver rule 4 (paused clock): the idle driver's look at the wheel and
/// its sleep record are one critical section, so a timer filed
/// concurrently (a `block_on` thread woken from outside) is either seen
/// (the clock jumps to it) or notifies the wait — never slept through.
#[test]
fn paused_park_never_sleeps_through_a_timer_filed_concurrently() {
    loom::model(|| {
        let state = Arc::new(Mutex::new(TimerState::new()));
        let notified = Arc::new(AtomicUsize::new(0));
        let filer = {
            let (state, notified) = (state.clone(), notified.clone());
            loom::thread::spawn(move || {
                let timer = TimerShared::new(Notify::Empty);
                let (_, notify) = state.lock().file(&timer, Some(5));
                if notify {
                    notified.fetch_add(1, Ordering::SeqCst);
                }
                timer
            })
        };
        // An idle runtime: jump to the next timer, or wait with no timeout.
        let next = state.lock().begin_paused_wait(true);
        let _timer = filer.join().unwrap();
        assert!(
            next.is_some() || notified.load(Ordering::SeqCst) == 1,
            "the idle paused driver would sleep through the new timer"
        );
        state.lock().end_sleep();
    });
}

/// Reactor rule 6: the paused driver's zero-timeout poll can consume the
/// poller's notification (modelled here as the sticky flag the kernel keeps
/// for it), so `notify` also sets `Reactor::notified`, which the driver takes
/// before it blocks. Whatever the interleaving with an unpark, the driver
/// either sees the flag (and returns) or its blocking poll finds the
/// notification still pending: an unpark is never slept through.
#[test]
fn paused_park_never_sleeps_through_a_concurrent_unpark() {
    loom::model(|| {
        let notified = Arc::new(crate::loom::AtomicBool::new(false));
        let poller_notification = Arc::new(crate::loom::AtomicBool::new(false));
        let unparker = {
            let (notified, poller) = (notified.clone(), poller_notification.clone());
            loom::thread::spawn(move || {
                // `Reactor::notify` (a swap, as there: loom 0.7 mis-orders a
                // plain store before another thread's swap; see docs/loom.md).
                notified.swap(true, Ordering::SeqCst);
                poller.swap(true, Ordering::SeqCst);
            })
        };
        // `park_paused`: the zero-timeout poll, then the flag.
        let _consumed = poller_notification.swap(false, Ordering::SeqCst);
        let unparked = notified.swap(false, Ordering::SeqCst);
        unparker.join().unwrap();
        // Not unparked: the driver blocks, and returns only if the
        // notification is (or becomes) pending.
        assert!(
            unparked || poller_notification.load(Ordering::SeqCst),
            "the paused driver would sleep through the unpark"
        );
    });
}
