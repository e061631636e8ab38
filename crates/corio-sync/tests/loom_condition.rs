#![cfg(corio_loom)]
//! loom model: Condition notify racing a waiter's cancellation never loses the notification.

mod loom_support;

use std::future::Future;
use std::pin::Pin;

use corio_sync::{Condition, Mutex};
use loom::sync::Arc;
use loom::thread;
use loom_support::{block_on, poll_once};

type Shared = Arc<(Mutex<()>, Condition)>;

fn waiter(s: Shared) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let g = s.0.lock().await;
        drop(s.1.wait(g).await);
    })
}

#[test]
fn condition_notify_vs_cancel_passes_notification_on() {
    loom::model(|| {
        let s: Shared = Arc::new((Mutex::new(()), Condition::new()));
        let mut a = waiter(s.clone());
        let mut b = waiter(s.clone());
        // Both are queued on the condition before anything races.
        assert!(poll_once(a.as_mut()).is_pending());
        assert!(poll_once(b.as_mut()).is_pending());
        let canceller = thread::spawn(move || drop(a));
        s.1.notify(1);
        // Whether the notification reached `a` before it was dropped or not, `b` gets one.
        block_on(b);
        canceller.join().unwrap();
    });
}
