//! loom models of corio-io's lock-free protocols. Each model's name says
//! what it proves. Run with
//! `RUSTFLAGS="--cfg corio_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p corio-io --lib`.

use std::task::{Context, Poll, Wake, Waker};

use crate::driver::TimerState;
use crate::loom::{Arc, AtomicUsize, Mutex, Ordering};
use crate::reactor::scheduled_io::{Direction, READABLE, ScheduledIo};
use crate::time::entry::{Insert, Notify, TimerShared};

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
                    fired.iter().map(|t| t.fire()).collect()
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
                    fired.iter().map(|t| t.fire()).collect()
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
        // The parker: computes what to sleep to (rule 1 of driver.rs).
        let next = state.lock().begin_sleep();
        let _timer = filer.join().unwrap();
        let woken = notified.load(Ordering::SeqCst) > 0;
        assert!(woken || next.is_some_and(|n| n <= 5), "would sleep past the timer (next {next:?})");
        state.lock().end_sleep();
    });
}
