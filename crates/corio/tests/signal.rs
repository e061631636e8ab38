//! `corio::signal` (API.md §8). Signals are sent to this process with
//! `kill(getpid(), sig)`; SIGUSR1/SIGUSR2 are used where no test depends on
//! the default action.
#![cfg(not(corio_loom))]

mod common;

use common::{LIMIT, runtime, with_timeout};
use corio::signal::{SignalKind, signal};

fn raise(sig: i32) {
    // SAFETY: kill(2) on our own pid with a signal we installed a handler
    // for; no memory is involved.
    unsafe {
        libc::kill(libc::getpid(), sig);
    }
}

#[test]
fn recv_wakes_on_a_delivered_signal() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let mut s = signal(SignalKind::from_raw(libc::SIGUSR1)).unwrap();
            assert_eq!(s.kind().as_raw(), libc::SIGUSR1);
            raise(libc::SIGUSR1);
            assert_eq!(s.recv().await, Some(()));
            raise(libc::SIGUSR1);
            assert_eq!(s.recv().await, Some(()));
        })
    });
}

#[test]
fn two_listeners_of_one_signal_both_wake() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let mut a = signal(SignalKind::from_raw(libc::SIGUSR2)).unwrap();
            let mut b = signal(SignalKind::from_raw(libc::SIGUSR2)).unwrap();
            raise(libc::SIGUSR2);
            a.recv().await;
            b.recv().await;
        })
    });
}

#[test]
fn terminate_stops_a_run_forever_style_server() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
            let mut term = signal(SignalKind::terminate()).unwrap();
            let stopper = corio::create_task(async move {
                term.recv().await;
            });
            raise(libc::SIGTERM);
            stopper.await.unwrap();
            server.close();
            server.wait_closed().await;
        })
    });
}

#[test]
fn ctrl_c_resolves_on_sigint() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            // A listener of our own first, so a SIGINT that arrives before
            // ctrl_c registers cannot kill the test process.
            let _guard = signal(SignalKind::interrupt()).unwrap();
            let waiter = corio::create_task(corio::signal::ctrl_c());
            // Keep raising until ctrl_c's listener is registered and woken.
            while !waiter.done() {
                raise(libc::SIGINT);
                corio::sleep(std::time::Duration::from_millis(5)).await;
            }
            waiter.await.unwrap().unwrap();
        })
    });
}

#[test]
fn forbidden_signals_are_an_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            for sig in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, 0, -3] {
                assert!(signal(SignalKind::from_raw(sig)).is_err(), "signal {sig} must be refused");
            }
        })
    });
}

#[test]
fn kinds_have_the_usual_numbers() {
    assert_eq!(SignalKind::interrupt().as_raw(), libc::SIGINT);
    assert_eq!(SignalKind::terminate().as_raw(), libc::SIGTERM);
    assert_eq!(SignalKind::hangup().as_raw(), libc::SIGHUP);
}
