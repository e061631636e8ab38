//! Models of the task state protocol (rules in `task/mod.rs`).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::{DropCounter, Mock};
use crate::loom::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering, thread};

/// A future that is ready once `flag` is set, and parks its waker in `slot`.
fn flag_future(
    flag: Arc<AtomicBool>,
    slot: Arc<Mutex<Option<Waker>>>,
    drops: Arc<AtomicUsize>,
) -> impl Future<Output = ()> + Send + 'static {
    let guard = DropCounter(drops);
    poll_fn(move |cx: &mut Context<'_>| {
        let _keep = &guard;
        *slot.lock() = Some(cx.waker().clone());
        if flag.load(Ordering::SeqCst) { Poll::Ready(()) } else { Poll::Pending }
    })
}

/// Rules 1–3: a wake that races with a poll is never lost — the task is
/// polled again after the wake, sees the flag, and completes.
#[test]
fn loom_wake_during_poll_is_not_lost() {
    loom::model(|| {
        let mock = Mock::new();
        let flag = Arc::new(AtomicBool::new(false));
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let drops = Arc::new(AtomicUsize::new(0));
        let task = mock.spawn(flag_future(flag.clone(), slot.clone(), drops.clone()));
        // Poll once to get the task's waker, and queue the task again so
        // that the runner's poll races with the wake below.
        mock.pop().unwrap().run();
        let waker = slot.lock().take().unwrap();
        waker.wake_by_ref();

        let runner = {
            let mock = mock.clone();
            thread::spawn(move || {
                if let Some(t) = mock.pop() {
                    t.run();
                }
            })
        };
        flag.store(true, Ordering::SeqCst);
        waker.wake();
        runner.join().unwrap();
        mock.drain();
        assert!(task.done(), "the wake was lost");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        drop(task);
        drop(slot);
    });
}

/// Rules 3 and 5: cancelling a task while it is being polled drops the
/// future exactly once, right after the poll, and the task ends cancelled.
#[test]
fn loom_cancel_during_poll_drops_future_once() {
    loom::model(|| {
        let mock = Mock::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCounter(drops.clone());
        let task = mock.spawn(poll_fn(move |_cx: &mut Context<'_>| {
            let _keep = &guard;
            Poll::<()>::Pending
        }));
        let runner = {
            let mock = mock.clone();
            thread::spawn(move || mock.drain())
        };
        assert!(task.cancel());
        runner.join().unwrap();
        mock.drain();
        assert!(task.done() && task.cancelled());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

/// Rules 4 and 6: dropping the handle while the task completes drops the
/// future once and the output at most once (never both sides, never
/// neither), and frees the cell.
#[test]
fn loom_join_handle_drop_vs_completion() {
    loom::model(|| {
        let mock = Mock::new();
        let future_drops = Arc::new(AtomicUsize::new(0));
        let output_drops = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicBool::new(false));
        let task = {
            let guard = DropCounter(future_drops.clone());
            let output_drops = output_drops.clone();
            let made = made.clone();
            mock.spawn(async move {
                let _keep = guard;
                made.store(true, Ordering::SeqCst);
                DropCounter(output_drops)
            })
        };
        let runner = {
            let mock = mock.clone();
            thread::spawn(move || mock.drain())
        };
        drop(task);
        runner.join().unwrap();
        mock.drain();
        assert_eq!(future_drops.load(Ordering::SeqCst), 1);
        let expected = usize::from(made.load(Ordering::SeqCst));
        assert_eq!(output_drops.load(Ordering::SeqCst), expected);
    });
}

/// Rules 4 and 6 for `detach`: the task always runs to completion and its
/// output is dropped exactly once by one side.
#[test]
fn loom_detach_vs_completion() {
    loom::model(|| {
        let mock = Mock::new();
        let output_drops = Arc::new(AtomicUsize::new(0));
        let task = {
            let output_drops = output_drops.clone();
            mock.spawn(async move { DropCounter(output_drops) })
        };
        let runner = {
            let mock = mock.clone();
            thread::spawn(move || mock.drain())
        };
        task.detach();
        runner.join().unwrap();
        mock.drain();
        assert_eq!(output_drops.load(Ordering::SeqCst), 1);
    });
}

/// Rule 7: a join waker registered while the task completes is either seen
/// by the completer or the handle sees COMPLETE: awaiting never hangs.
#[test]
fn loom_join_waker_vs_completion() {
    loom::model(|| {
        let mock = Mock::new();
        let mut task = mock.spawn(async { 7u32 });
        let runner = {
            let mock = mock.clone();
            thread::spawn(move || mock.drain())
        };
        let value = loom::future::block_on(poll_fn(|cx| Pin::new(&mut task).poll(cx)));
        assert_eq!(value.unwrap(), 7);
        runner.join().unwrap();
    });
}

/// Rule 8: a callback added while the task completes runs exactly once,
/// whichever side fires it.
#[test]
fn loom_callback_registration_vs_completion() {
    loom::model(|| {
        let mock = Mock::new();
        let task = mock.spawn(async {});
        let runs = Arc::new(AtomicUsize::new(0));
        let runner = {
            let mock = mock.clone();
            thread::spawn(move || {
                if let Some(t) = mock.pop() {
                    t.run();
                }
            })
        };
        {
            let runs = runs.clone();
            let _ = task.add_done_callback(move |t| {
                assert!(t.done());
                runs.fetch_add(1, Ordering::SeqCst);
            });
        }
        runner.join().unwrap();
        mock.drain();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

/// Rule 7 through `Task::poll_done` (which `corio::wait` uses): waiting for
/// completion without taking the output never misses the completion, and
/// the output is still there for `result()` afterwards.
#[test]
fn loom_poll_done_vs_completion() {
    loom::model(|| {
        let mock = Mock::new();
        let mut task = mock.spawn(async { 9u32 });
        let runner = {
            let mock = mock.clone();
            thread::spawn(move || mock.drain())
        };
        loom::future::block_on(poll_fn(|cx| task.poll_done(cx)));
        assert_eq!(task.result().unwrap(), 9);
        runner.join().unwrap();
    });
}

/// Rules 1 and 5: cancelling an idle task (which completes it in place, on
/// the cancelling thread) racing with a wake of that task: the future is
/// dropped exactly once, the task ends cancelled, and the queue entry the
/// wake may have made is consumed without a poll.
#[test]
fn loom_cancel_in_place_vs_wake() {
    loom::model(|| {
        let mock = Mock::new();
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let drops = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let task = {
            let (slot, polls) = (slot.clone(), polls.clone());
            let guard = DropCounter(drops.clone());
            mock.spawn(poll_fn(move |cx: &mut Context<'_>| {
                let _keep = &guard;
                polls.fetch_add(1, Ordering::SeqCst);
                *slot.lock() = Some(cx.waker().clone());
                Poll::<()>::Pending
            }))
        };
        mock.pop().unwrap().run();
        let waker = slot.lock().take().unwrap();
        let waking = thread::spawn(move || waker.wake());
        assert!(task.cancel());
        waking.join().unwrap();
        mock.drain();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!(polls.load(Ordering::SeqCst), 1, "a cancelled task was polled again");
        assert!(task.cancelled());
        drop(task);
    });
}

/// Rules 1, 3 and 5: a task that yields with its own waker (the deferred path, no wake) races
/// with a wake from another thread and with a cancel: it is never in the queue twice (`Mock`
/// checks each push), its future is dropped once, and it ends either finished after its yields
/// or cancelled (only if the cancel was accepted), never panicked.
#[test]
fn loom_deferred_yield_vs_wake_and_cancel() {
    loom::model(|| {
        let mock = Mock::new();
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let drops = Arc::new(AtomicUsize::new(0));
        let task = {
            let slot = slot.clone();
            let guard = DropCounter(drops.clone());
            mock.spawn(async move {
                let _keep = &guard;
                for _ in 0..2 {
                    poll_fn(|cx: &mut Context<'_>| {
                        *slot.lock() = Some(cx.waker().clone());
                        Poll::Ready(())
                    })
                    .await;
                    let mut yielding = std::pin::pin!(crate::yield_now());
                    poll_fn(|cx: &mut Context<'_>| {
                        let polled = yielding.as_mut().poll(cx);
                        if polled.is_pending() {
                            assert!(crate::context::yield_requested(), "the yield took the waking path");
                        }
                        polled
                    })
                    .await;
                }
            })
        };
        mock.pop().unwrap().run();
        assert_eq!(mock.0.queue.lock().len(), 1, "a deferred yield queues the task again");
        let waker = slot.lock().take().unwrap();
        let waking = thread::spawn(move || waker.wake());
        let runner = {
            let mock = mock.clone();
            thread::spawn(move || mock.drain())
        };
        let cancelled = task.cancel();
        waking.join().unwrap();
        runner.join().unwrap();
        mock.drain();
        assert!(task.done());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // A cancel that lands during the last poll is too late: the task finishes normally.
        assert!(cancelled || !task.cancelled(), "ended cancelled though the cancel was refused");
        let mut task = task;
        match task.result() {
            Ok(()) | Err(crate::TaskError::Cancelled(_)) => {}
            Err(e) => panic!("the task ended with {e:?}"),
        }
        drop(task);
        drop(slot);
    });
}

/// Rule 8: removing a callback while the drainer runs the list: the callback
/// either runs (and removal reports `false`) or is removed (and never runs),
/// never both, never neither; the one after it always runs.
#[test]
fn loom_remove_done_callback_vs_drainer() {
    loom::model(|| {
        let mock = Mock::new();
        let task = mock.spawn(async {});
        let first = Arc::new(AtomicUsize::new(0));
        let second = Arc::new(AtomicUsize::new(0));
        let id = {
            let first = first.clone();
            task.add_done_callback(move |_| {
                first.fetch_add(1, Ordering::SeqCst);
            })
        };
        {
            let second = second.clone();
            let _ = task.add_done_callback(move |_| {
                second.fetch_add(1, Ordering::SeqCst);
            });
        }
        let runner = {
            let mock = mock.clone();
            thread::spawn(move || mock.drain())
        };
        let removed = task.remove_done_callback(id);
        runner.join().unwrap();
        mock.drain();
        assert_eq!(first.load(Ordering::SeqCst) + usize::from(removed), 1);
        assert_eq!(second.load(Ordering::SeqCst), 1);
    });
}

/// The cold part's one-time publication (`task/cell.rs`): two threads whose
/// first writes race (a cancel message, a done callback) both allocate it,
/// one CAS wins, and neither write is lost.
#[test]
fn loom_cold_part_first_writers_race() {
    loom::model(|| {
        let mock = Mock::new();
        let mut task = mock.spawn(std::future::pending::<()>());
        let canceller = {
            let task_ref = task.task_ref();
            thread::spawn(move || assert!(task_ref.cancel_with("why")))
        };
        let runs = Arc::new(AtomicUsize::new(0));
        {
            let runs = runs.clone();
            let _ = task.add_done_callback(move |_| {
                runs.fetch_add(1, Ordering::SeqCst);
            });
        }
        canceller.join().unwrap();
        mock.drain();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        match task.result() {
            Err(crate::task::TaskError::Cancelled(msg)) => assert_eq!(msg.as_deref(), Some("why")),
            other => panic!("expected a cancelled task, got {other:?}"),
        }
    });
}
