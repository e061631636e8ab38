#![cfg(not(corio_loom))]
//! `gather` keeps each finished child's value in that child's slot
//! (`children.rs`): the values come out in input order whatever their layout
//! (the slot vector reused in place, or the values moved out), each kept
//! value is dropped exactly once however the gather ends, `return_exceptions`
//! after a partial poll keeps what was collected, and a gather polled after
//! it finished panics with a message that says so.

mod common;

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use common::{DropCounter, LIMIT, runtime, with_timeout};
use corio::sync::oneshot;
use proptest::prelude::*;

/// Gathers `make(0..n)` from children that yield once, plain and with
/// `return_exceptions`, and checks the order.
fn check_layout<T, M>(make: M)
where
    T: Clone + PartialEq + Debug + Send + 'static,
    M: Fn(usize) -> T,
{
    let expected: Vec<T> = (0..200).map(make).collect();
    let children = || {
        expected.clone().into_iter().map(|v| async move {
            corio::yield_now().await;
            v
        })
    };
    let (plain, settled) = runtime(2).block_on(async {
        (corio::gather(children()).await.unwrap(), corio::gather(children()).return_exceptions().await)
    });
    assert_eq!(plain, expected);
    assert_eq!(settled.into_iter().map(Result::unwrap).collect::<Vec<_>>(), expected);
}

#[test]
fn values_come_out_in_input_order_for_every_layout() {
    with_timeout(LIMIT, || {
        check_layout(|i| i as u64); // a task's size and alignment: in place
        check_layout(|i| i as u128); // larger alignment: in place (the slot grows)
        check_layout(|i| i as u8); // smaller: moved out
        check_layout(|i| [i as u32; 2]); // same size, smaller alignment: moved out
        check_layout(|i| i.to_string()); // larger, owns memory: moved out
        check_layout(|_| ()); // zero-sized
        check_layout(|i| Some(Box::new(i))); // a niche, owns memory: in place
    });
}

/// Polls `fut` once, with the task's own context.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

/// Polls `fut` by hand, yielding in between, until it is ready.
async fn poll_to_end<F: Future + Unpin>(fut: &mut F) -> F::Output {
    loop {
        if let Poll::Ready(out) = poll_once(fut).await {
            return out;
        }
        corio::yield_now().await;
    }
}

/// Polls `g` by hand until it has collected all but `left` children.
async fn poll_until_left<T>(g: &mut corio::Gather<T>, left: usize) {
    while !format!("{g:?}").contains(&format!("remaining: {left}")) {
        assert!(poll_once(g).await.is_pending());
        corio::yield_now().await;
    }
}

/// Polls a finished `fut` once more; the payload of the panic that causes.
fn poll_again<F: Future + Unpin>(fut: &mut F) -> Box<dyn std::any::Any + Send> {
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let _ = Pin::new(fut).poll(&mut cx);
    }));
    again.expect_err("a finished gather polled again must panic")
}

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A child that makes its value with `make`, after `wait` if there is one
/// (a child cancelled while waiting makes none).
fn boxed_child<T: 'static>(wait: Option<Boxed<()>>, make: impl FnOnce() -> T + Send + 'static) -> Boxed<T> {
    Box::pin(async move {
        if let Some(wait) = wait {
            wait.await;
        }
        make()
    })
}

/// `kept` children finish with a counted value at once; `late` more wait for
/// a signal that never comes.
fn quick_then_waiting(
    kept: usize,
    late: usize,
    drops: &Arc<AtomicUsize>,
) -> (corio::Gather<DropCounter>, Vec<oneshot::Sender<()>>) {
    let mut txs = Vec::new();
    let futs: Vec<_> = (0..kept + late)
        .map(|i| {
            let drops = drops.clone();
            let wait = (i >= kept).then(|| {
                let (tx, rx) = oneshot::channel::<()>();
                txs.push(tx);
                Box::pin(async move {
                    let _ = rx.await;
                }) as Boxed<()>
            });
            boxed_child(wait, move || DropCounter(drops))
        })
        .collect();
    (corio::gather(futs), txs)
}

/// Runs `body` on a runtime of `workers` with a drop counter it shares, and returns the count
/// once the runtime is gone.
fn count_drops<F: Future<Output = ()>>(workers: usize, body: impl FnOnce(Arc<AtomicUsize>) -> F) -> usize {
    let drops = Arc::new(AtomicUsize::new(0));
    runtime(workers).block_on(body(drops.clone()));
    drops.load(Ordering::SeqCst)
}

#[test]
fn an_unfinished_gather_drops_each_kept_value_once() {
    with_timeout(LIMIT, || {
        let dropped = count_drops(2, |drops| async move {
            let (mut g, _txs) = quick_then_waiting(5, 3, &drops);
            // Until the gather has collected the five quick ones.
            poll_until_left(&mut g, 3).await;
            assert_eq!(drops.load(Ordering::SeqCst), 0, "kept values are the gather's until it ends");
            drop(g);
            assert_eq!(drops.load(Ordering::SeqCst), 5, "the gather dropped what it kept");
        });
        assert_eq!(dropped, 5, "the three cancelled children made no value");
    });
}

/// Counts its drop, and panics in it if `panics`.
struct Fragile {
    drops: Arc<AtomicUsize>,
    panics: bool,
}

impl Drop for Fragile {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        assert!(!self.panics, "a kept value's drop panics");
    }
}

#[test]
fn a_kept_value_whose_drop_panics_does_not_keep_the_others_from_dropping() {
    with_timeout(LIMIT, || {
        let dropped = count_drops(1, |drops| async move {
            let futs: Vec<_> = (0..6)
                .map(|i| {
                    let drops = drops.clone();
                    let wait = (i == 5).then(|| Box::pin(std::future::pending()) as Boxed<()>);
                    boxed_child(wait, move || Fragile { drops, panics: i == 1 })
                })
                .collect();
            let mut g = corio::gather(futs);
            poll_until_left(&mut g, 1).await;
            let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(g)));
            assert!(unwound.is_err(), "the panic reaches the gather's owner");
        });
        assert_eq!(dropped, 5, "every kept value was dropped, the ones after the panic too");
    });
}

#[test]
fn a_failed_gather_drops_each_kept_value_once() {
    with_timeout(LIMIT, || {
        let dropped = count_drops(2, |drops| async move {
            let futs = (0..10).map(|i| {
                let drops = drops.clone();
                async move {
                    if i == 6 {
                        panic!("child 6 fails");
                    }
                    if i > 6 {
                        std::future::pending::<()>().await;
                    }
                    DropCounter(drops)
                }
            });
            let mut g = corio::gather(futs).cancel_on_error();
            assert!(poll_to_end(&mut g).await.unwrap_err().is_panic());
            // Re-polling a finished gather is a bug the gather names.
            let msg = poll_again(&mut g);
            assert_eq!(msg.downcast_ref::<&str>(), Some(&"gather polled after completion"));
            drop(g);
        });
        assert_eq!(dropped, 6, "six values made, each dropped once");
    });
}

#[test]
fn return_exceptions_after_a_partial_poll_keeps_what_was_collected() {
    with_timeout(LIMIT, || {
        let dropped = count_drops(2, |drops| async move {
            let (mut g, txs) = quick_then_waiting(4, 4, &drops);
            poll_until_left(&mut g, 4).await;
            let settled = g.return_exceptions();
            for tx in txs {
                tx.send(()).unwrap();
            }
            let all = settled.await;
            assert_eq!(all.len(), 8);
            assert!(all.iter().all(Result::is_ok));
            assert_eq!(drops.load(Ordering::SeqCst), 0);
        });
        assert_eq!(dropped, 8);
    });
}

#[test]
fn a_finished_gather_polled_again_panics() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let mut g = corio::gather((0..3u64).map(|i| async move { i }));
            assert_eq!(poll_to_end(&mut g).await.unwrap(), [0, 1, 2]);
            let msg = poll_again(&mut g);
            assert_eq!(msg.downcast_ref::<&str>(), Some(&"gather polled after completion"));
        });
    });
}

/// What child `i` of the model does.
#[derive(Clone, Debug)]
enum Child {
    /// Returns its index at once.
    Quick,
    /// Yields `n` times, then returns its index.
    Slow(u8),
    /// Panics after `n` yields.
    Fails(u8),
}

fn child() -> impl Strategy<Value = Child> {
    prop_oneof![4 => Just(Child::Quick), 4 => (0u8..4).prop_map(Child::Slow), 1 => (0u8..4).prop_map(Child::Fails)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Against a model: with no failure the values are the indices in order;
    /// with one, the error is a panic. Either way every value made is
    /// dropped exactly once by the time the runtime is gone (kept ones with
    /// the gather, the rest with their detached task).
    #[test]
    fn gather_matches_the_model(children in proptest::collection::vec(child(), 0..40), settled in any::<bool>()) {
        with_timeout(LIMIT, move || {
            let drops = Arc::new(AtomicUsize::new(0));
            let made = Arc::new(AtomicUsize::new(0));
            let futs = children.clone().into_iter().enumerate().map(|(i, c)| {
                let (drops, made) = (drops.clone(), made.clone());
                async move {
                    let (yields, fails) = match c {
                        Child::Quick => (0, false),
                        Child::Slow(n) => (n, false),
                        Child::Fails(n) => (n, true),
                    };
                    for _ in 0..yields {
                        corio::yield_now().await;
                    }
                    assert!(!fails, "child {i} fails");
                    made.fetch_add(1, Ordering::SeqCst);
                    (i, DropCounter(drops))
                }
            });
            let any_fails = children.iter().any(|c| matches!(c, Child::Fails(_)));
            let rt = runtime(2);
            rt.block_on(async {
                if settled {
                    let all = corio::gather(futs).return_exceptions().await;
                    assert_eq!(all.len(), children.len());
                    for (i, (res, c)) in all.iter().zip(&children).enumerate() {
                        match c {
                            Child::Fails(_) => assert!(res.as_ref().unwrap_err().is_panic()),
                            _ => assert_eq!(res.as_ref().unwrap().0, i),
                        }
                    }
                } else {
                    match corio::gather(futs).await {
                        Ok(values) => {
                            assert!(!any_fails);
                            assert!(values.iter().enumerate().all(|(i, v)| v.0 == i));
                        }
                        Err(e) => assert!(any_fails && e.is_panic()),
                    }
                }
            });
            drop(rt);
            assert_eq!(drops.load(Ordering::SeqCst), made.load(Ordering::SeqCst), "a value dropped twice or never");
        });
    }
}
