#![cfg(not(corio_loom))]
//! `Task::result()`: the non-blocking way to take a task's outcome.

mod common;

use common::{LIMIT, never, runtime, wait_until, with_timeout};
use corio::TaskError;

#[test]
fn result_before_done_is_invalid_state() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(never());
        assert!(matches!(task.result(), Err(TaskError::InvalidState)));
        // Asking did not disturb the task.
        assert!(!task.done());
        assert!(task.cancel());
    });
}

#[test]
fn result_after_done_is_the_value() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(async { String::from("value") });
        wait_until(|| task.done());
        assert_eq!(task.result().unwrap(), "value");
    });
}

#[test]
fn result_a_second_time_is_invalid_state() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(async { 3 });
        wait_until(|| task.done());
        assert_eq!(task.result().unwrap(), 3);
        assert!(matches!(task.result(), Err(TaskError::InvalidState)));
        assert!(matches!(task.result(), Err(TaskError::InvalidState)));
    });
}

#[test]
fn awaiting_after_result_was_taken_is_invalid_state() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(async { 3 });
        wait_until(|| task.done());
        assert_eq!(task.result().unwrap(), 3);
        assert!(matches!(rt.block_on(&mut task), Err(TaskError::InvalidState)));
    });
}

#[test]
fn result_after_await_is_invalid_state() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(async { 4 });
        assert_eq!(rt.block_on(&mut task).unwrap(), 4);
        assert!(matches!(task.result(), Err(TaskError::InvalidState)));
    });
}

#[test]
fn result_of_a_cancelled_task_is_cancelled_then_invalid_state() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(never());
        assert!(task.cancel_with("bye"));
        wait_until(|| task.done());
        match task.result() {
            Err(TaskError::Cancelled(Some(msg))) => assert_eq!(msg, "bye"),
            other => panic!("expected Cancelled(Some), got {other:?}"),
        }
        assert!(matches!(task.result(), Err(TaskError::InvalidState)));
        // The outcome flags stay.
        assert!(task.cancelled());
    });
}

#[test]
fn result_of_a_panicked_task_is_the_panic() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(async { panic!("result panic") });
        wait_until(|| task.done());
        let err = task.result().unwrap_err();
        match err {
            TaskError::Panicked(p) => assert_eq!(p.message().as_deref(), Some("result panic")),
            other => panic!("expected Panicked, got {other:?}"),
        }
    });
}

#[test]
fn result_inside_the_runtime_after_done_is_the_value() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let out = rt.block_on(async {
            let mut task = corio::create_task(async { 9 });
            common::yield_until(|| task.done()).await;
            task.result()
        });
        assert_eq!(out.unwrap(), 9);
    });
}

#[test]
fn invalid_state_displays_a_message() {
    let text = TaskError::InvalidState.to_string();
    assert!(!text.is_empty());
}
