#![cfg(not(corio_loom))]
//! Compile-time checks of the API contract's trait promises (API.md, general
//! rules and §1, §2, §5). A failure here is a build error.

use std::fmt::{Debug, Display};
use std::future::Future;

use corio::{Builder, CallbackId, Handle, PanicPayload, Runtime, Task, TaskError, TaskId, TaskRef};

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn debug<T: Debug>() {}
fn display<T: Display>() {}
fn error<T: std::error::Error + Display + Send + Sync + 'static>() {}
fn into_io_error<T: Into<std::io::Error>>() {}
fn clone<T: Clone>() {}
fn copy_eq_hash<T: Copy + PartialEq + Eq + std::hash::Hash>() {}
fn future_of<F: Future<Output = O>, O>() {}
fn send_value<T: Send>(_: &T) {}

#[test]
fn task_is_send_sync_unpin_where_t_is_send() {
    send::<Task<u32>>();
    sync::<Task<u32>>();
    unpin::<Task<u32>>();
    // `T` only needs `Send`, not `Sync`.
    send::<Task<std::cell::Cell<u32>>>();
    sync::<Task<std::cell::Cell<u32>>>();
    unpin::<Task<std::marker::PhantomPinned>>();
}

#[test]
fn task_is_a_future_of_result_t_task_error() {
    future_of::<Task<u32>, Result<u32, TaskError>>();
    future_of::<&mut Task<u32>, Result<u32, TaskError>>();
}

#[test]
fn runtime_handle_task_ref_task_error_are_send_and_sync() {
    send::<Runtime>();
    sync::<Runtime>();
    send::<Handle>();
    sync::<Handle>();
    send::<TaskRef>();
    sync::<TaskRef>();
    send::<TaskError>();
    sync::<TaskError>();
    send::<PanicPayload>();
    sync::<PanicPayload>();
    send::<TaskId>();
    sync::<TaskId>();
    send::<CallbackId>();
    sync::<CallbackId>();
}

#[test]
fn every_public_type_is_debug() {
    debug::<Runtime>();
    debug::<Builder>();
    debug::<Handle>();
    debug::<Task<u32>>();
    debug::<TaskError>();
    debug::<PanicPayload>();
    debug::<TaskRef>();
    debug::<TaskId>();
    debug::<CallbackId>();
    debug::<corio::task::Builder>();
    // `Task<T>` is `Debug` whatever `T` is.
    struct NotDebug;
    debug::<Task<NotDebug>>();
}

#[test]
fn errors_are_std_errors_and_convert_into_io_errors() {
    error::<TaskError>();
    into_io_error::<TaskError>();
    let io: std::io::Error = TaskError::Cancelled(Some("why".into())).into();
    let inner = io.get_ref().expect("the TaskError is kept inside the io::Error");
    let back = inner.downcast_ref::<TaskError>().expect("downcast to TaskError");
    assert!(back.is_cancelled());
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(TaskError::InvalidState);
    assert!(!boxed.to_string().is_empty());
}

#[test]
fn ids_and_refs_have_the_promised_derives() {
    copy_eq_hash::<TaskId>();
    copy_eq_hash::<CallbackId>();
    display::<TaskId>();
    display::<TaskError>();
    clone::<TaskRef>();
    clone::<Handle>();
}

#[test]
fn task_error_variants_are_the_promised_ones() {
    let cancelled = TaskError::Cancelled(None);
    let with_msg = TaskError::Cancelled(Some(String::from("m")));
    let invalid = TaskError::InvalidState;
    for e in [cancelled, with_msg, invalid] {
        match e {
            TaskError::Cancelled(_) | TaskError::Panicked(_) | TaskError::InvalidState => {}
        }
    }
    assert_eq!(TaskError::Cancelled(None).to_string(), "task was cancelled");
}

#[test]
fn builders_take_and_return_self_by_value() {
    let b: Builder = Builder::new()
        .worker_threads(1)
        .thread_name("x")
        .max_blocking_threads(1)
        .blocking_keep_alive(std::time::Duration::from_secs(1))
        .start_paused(false);
    drop(b);
    let tb: corio::task::Builder = corio::task::Builder::new().name("n");
    drop(tb);
}

#[test]
fn the_futures_of_corio_functions_are_send() {
    send_value(&corio::yield_now());
}

#[test]
fn task_module_reexports_the_root_items() {
    // Same types under both paths.
    fn same<T>(_: fn() -> T, _: fn() -> T) {}
    same::<Option<corio::task::TaskRef>>(corio::current_task, corio::task::current_task);
    let _: fn() -> Vec<corio::TaskRef> = corio::task::all_tasks;
    let _: Option<corio::task::TaskId> = None::<corio::TaskId>;
    let _: Option<corio::task::CallbackId> = None::<corio::CallbackId>;
    let _: Option<corio::task::PanicPayload> = None::<corio::PanicPayload>;
    let _: Option<corio::task::TaskError> = None::<corio::TaskError>;
    let _: Option<corio::task::Task<u8>> = None::<corio::Task<u8>>;
}
