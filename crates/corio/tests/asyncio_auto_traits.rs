#![cfg(not(corio_loom))]
//! Compile-time checks: the asyncio layer's futures are `Send` when their
//! contents are, handles are `Send + Sync`, errors are `Error + Send + Sync
//! + 'static`.

use corio::{
    AsCompleted, ConcurrentFuture, Gather, GatherSettled, GroupClosed, GroupError, Shield, TaskGroup, TaskGroupHandle,
    ThreadPool, Wait,
};

fn send<T: Send>() {}
fn send_sync<T: Send + Sync>() {}
fn error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn asyncio_types_have_the_promised_auto_traits() {
    send::<Gather<u32>>();
    send::<GatherSettled<u32>>();
    send::<Wait<u32>>();
    send::<AsCompleted<u32>>();
    send_sync::<Shield<u32>>();
    send_sync::<ConcurrentFuture<u32>>();
    send_sync::<TaskGroup<u32, String>>();
    send_sync::<TaskGroupHandle<u32, String>>();
    send_sync::<ThreadPool>();
    error::<GroupError<String>>();
    error::<GroupClosed>();
    fn join_is_send(tg: TaskGroup<u32, String>) -> impl Send {
        tg.join()
    }
    let _ = join_is_send;
}
