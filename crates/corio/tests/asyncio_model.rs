#![cfg(not(corio_loom))]
//! gather and wait against a sequential model: for random sets of children
//! (values, panics, self-cancellations, some of them delayed), the
//! combinators' outcomes equal what running the children one by one says.

mod common;

use std::sync::OnceLock;

use common::with_timeout;
use corio::{ReturnWhen, TaskError};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Outcome {
    Value(u32),
    Panic,
    Cancel,
}

#[derive(Clone, Copy, Debug)]
struct Child {
    outcome: Outcome,
    /// Yields before finishing, so children finish in mixed order.
    yields: u8,
}

fn child() -> impl Strategy<Value = Child> {
    let outcome = prop_oneof![
        6 => any::<u32>().prop_map(Outcome::Value),
        1 => Just(Outcome::Panic),
        1 => Just(Outcome::Cancel),
    ];
    (outcome, 0u8..4).prop_map(|(outcome, yields)| Child { outcome, yields })
}

async fn run_child(c: Child) -> u32 {
    for _ in 0..c.yields {
        corio::yield_now().await;
    }
    match c.outcome {
        Outcome::Value(v) => v,
        Outcome::Panic => panic!("model panic"),
        Outcome::Cancel => {
            corio::current_task().unwrap().cancel();
            corio::yield_now().await;
            unreachable!("cancelled at the suspension point")
        }
    }
}

/// What the sequential model says one child gives.
fn model(c: Child) -> Result<u32, &'static str> {
    match c.outcome {
        Outcome::Value(v) => Ok(v),
        Outcome::Panic => Err("panic"),
        Outcome::Cancel => Err("cancel"),
    }
}

fn kind(e: &TaskError) -> &'static str {
    if e.is_panic() {
        "panic"
    } else if e.is_cancelled() {
        "cancel"
    } else {
        "other"
    }
}

fn rt() -> &'static corio::Runtime {
    static RT: OnceLock<corio::Runtime> = OnceLock::new();
    RT.get_or_init(|| corio::Builder::new().worker_threads(2).build().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn gather_settled_matches_the_sequential_model(children in proptest::collection::vec(child(), 0..24)) {
        let expected: Vec<_> = children.iter().map(|&c| model(c)).collect();
        let got = with_timeout(common::LIMIT, move || {
            rt().block_on(async move {
                corio::gather(children.into_iter().map(run_child)).return_exceptions().await
            })
        });
        let got: Vec<_> = got.iter().map(|r| r.as_ref().map(|v| *v).map_err(kind)).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn gather_fails_iff_the_model_has_a_failure(children in proptest::collection::vec(child(), 0..24)) {
        let expected: Vec<_> = children.iter().map(|&c| model(c)).collect();
        let got = with_timeout(common::LIMIT, move || {
            rt().block_on(async move { corio::gather(children.into_iter().map(run_child)).await })
        });
        match got {
            Ok(values) => prop_assert_eq!(values.into_iter().map(Ok).collect::<Vec<_>>(), expected),
            // Which failure comes first depends on timing; it must be one
            // the model has.
            Err(e) => prop_assert!(expected.contains(&Err(kind(&e)))),
        }
    }

    #[test]
    fn wait_all_completed_matches_the_sequential_model(children in proptest::collection::vec(child(), 0..24)) {
        let expected: Vec<_> = children.iter().map(|&c| model(c)).collect();
        let got = with_timeout(common::LIMIT, move || {
            rt().block_on(async move {
                let tasks: Vec<_> = children.into_iter().map(|c| corio::create_task(run_child(c))).collect();
                let (done, pending) = corio::wait(tasks, ReturnWhen::AllCompleted).await;
                assert!(pending.is_empty());
                done.into_iter().map(|mut t| t.result().map_err(|e| kind(&e))).collect::<Vec<_>>()
            })
        });
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn wait_first_exception_stops_only_at_a_panic(children in proptest::collection::vec(child(), 1..24)) {
        let any_panic = children.iter().any(|c| matches!(c.outcome, Outcome::Panic));
        let got = with_timeout(common::LIMIT, move || {
            rt().block_on(async move {
                let tasks: Vec<_> = children.into_iter().map(|c| corio::create_task(run_child(c))).collect();
                let n = tasks.len();
                let (done, pending) = corio::wait(tasks, ReturnWhen::FirstException).await;
                let panicked = done.iter().any(|t| t.task_ref().panicked());
                (n, done.len(), pending.len(), panicked)
            })
        });
        let (n, done, pending, panicked) = got;
        prop_assert_eq!(done + pending, n);
        if any_panic {
            prop_assert!(panicked);
        } else {
            prop_assert_eq!(done, n);
        }
    }
}
