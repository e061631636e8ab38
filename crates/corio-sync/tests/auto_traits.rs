#![cfg(not(corio_loom))]
//! Every primitive is `Send + Sync` and every future it returns is `Send` (for `Send` data),
//! so they can be used from multi-threaded runtimes.

use std::future::Future;

use corio_sync::*;

fn send_sync<T: Send + Sync>(_: &T) {}
fn send_future<F: Future + Send>(_: &F) {}

#[test]
fn primitives_are_send_and_sync() {
    send_sync(&Promise::<String>::new());
    send_sync(&CancellationToken::new());
    send_sync(&Event::new());
    send_sync(&Mutex::new(String::new()));
    send_sync(&Condition::new());
    send_sync(&Semaphore::new(1));
    send_sync(&BoundedSemaphore::new(1));
    send_sync(&Barrier::new(1));
    send_sync(&Queue::<String>::new(0));
    send_sync(&LifoQueue::<String>::new(0));
    send_sync(&PriorityQueue::<String>::new(0));
}

#[test]
fn futures_are_send() {
    let token = CancellationToken::new();
    send_future(&token.cancelled());
    let event = Event::new();
    send_future(&event.wait());
    let mutex = Mutex::new(String::new());
    send_future(&mutex.lock());
    let cond = Condition::new();
    send_future(&async { drop(cond.wait(mutex.lock().await).await) });
    send_future(&async { drop(cond.wait_for(mutex.lock().await, |s| s.is_empty()).await) });
    let sem = Semaphore::new(1);
    send_future(&sem.acquire());
    let bsem = BoundedSemaphore::new(1);
    send_future(&bsem.acquire());
    let barrier = Barrier::new(1);
    send_future(&barrier.wait());
    let q = Queue::<String>::new(0);
    send_future(&q.put(String::new()));
    send_future(&q.get());
    send_future(&q.join());
    send_future(&Promise::<String>::new());
    let (mut tx, rx) = oneshot::channel::<String>();
    send_future(&tx.closed());
    send_future(&rx);
}

#[test]
fn guards_and_permits_are_send() {
    let mutex = Mutex::new(1u8);
    send_sync(&mutex.try_lock().unwrap());
    let sem = Semaphore::new(1);
    send_sync(&sem.try_acquire().unwrap());
    send_sync(&CancellationToken::new().drop_guard());
}
