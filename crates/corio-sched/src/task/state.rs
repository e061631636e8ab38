//! The task state word: flag bits and a reference count in one `AtomicUsize`.
//!
//! | bit | name              | set by                                   | cleared by                              |
//! |-----|-------------------|------------------------------------------|-----------------------------------------|
//! | 0   | `SCHEDULED`       | a wake of an idle task, or of a running one (then it means "poll again") | the runner taking the task (`transition_to_running`) |
//! | 1   | `RUNNING`         | the runner, or a canceller of an idle task | `transition_to_idle` / `transition_to_complete` |
//! | 2   | `COMPLETE`        | `transition_to_complete`                 | never                                   |
//! | 3   | `CANCELLED`       | `transition_to_cancel` (a request)       | never                                   |
//! | 4   | `JOIN_INTEREST`   | spawn (the `Task` handle exists)         | dropping or detaching the handle        |
//! | 5   | `JOIN_WAKER`      | the handle, after writing its waker      | the handle, before rewriting it         |
//! | 6   | `CALLBACKS`       | the first `add_done_callback`            | never                                   |
//! | 7   | `PANICKED`        | completion with a panic                  | never                                   |
//! | 8   | `CANCEL_OUTCOME`  | completion by cancellation               | never                                   |
//! | 9   | `ROOT`            | creation of a `block_on` root task       | never                                   |
//! | 16… | reference count   | `ref_inc`, a wake of an idle task by ref | `ref_dec`, completion                   |
//!
//! Every transition is one compare-and-swap loop (or one `fetch_*`) and
//! returns a `#[must_use]` enum saying what its caller now owns. The rules the
//! transitions implement are the numbered rules in `task/mod.rs`.

use crate::loom::{AtomicUsize, Ordering};

pub(crate) const SCHEDULED: usize = 1 << 0;
pub(crate) const RUNNING: usize = 1 << 1;
pub(crate) const COMPLETE: usize = 1 << 2;
pub(crate) const CANCELLED: usize = 1 << 3;
pub(crate) const JOIN_INTEREST: usize = 1 << 4;
pub(crate) const JOIN_WAKER: usize = 1 << 5;
pub(crate) const CALLBACKS: usize = 1 << 6;
pub(crate) const PANICKED: usize = 1 << 7;
pub(crate) const CANCEL_OUTCOME: usize = 1 << 8;
pub(crate) const ROOT: usize = 1 << 9;

const REF_SHIFT: usize = 16;
pub(crate) const REF_ONE: usize = 1 << REF_SHIFT;

/// A copy of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(pub(crate) usize);

impl Snapshot {
    #[inline]
    pub(crate) fn has(self, bits: usize) -> bool {
        self.0 & bits == bits
    }

    #[inline]
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }

    /// Neither queued, nor owned by anyone, nor finished.
    #[inline]
    fn is_idle(self) -> bool {
        self.0 & (SCHEDULED | RUNNING | COMPLETE) == 0
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (SCHEDULED, "SCHEDULED"),
            (RUNNING, "RUNNING"),
            (COMPLETE, "COMPLETE"),
            (CANCELLED, "CANCELLED"),
            (JOIN_INTEREST, "JOIN_INTEREST"),
            (JOIN_WAKER, "JOIN_WAKER"),
            (CALLBACKS, "CALLBACKS"),
            (PANICKED, "PANICKED"),
            (CANCEL_OUTCOME, "CANCEL_OUTCOME"),
            (ROOT, "ROOT"),
        ];
        let mut list = f.debug_list();
        for (bit, name) in names {
            if self.has(bit) {
                list.entry(&name);
            }
        }
        list.entry(&format_args!("refs={}", self.ref_count()));
        list.finish()
    }
}

/// What the runner owns after trying to start a poll (rule 2).
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// The runner owns the future: poll it.
    Success,
    /// The runner owns the future and a cancellation was requested: drop it.
    Cancelled,
}

/// What the runner owns after a poll returned `Pending` (rule 3).
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// The task is idle; the runner's reference was released.
    Idle,
    /// The task was woken during the poll: the runner's reference now belongs
    /// to a new queue entry, which the runner must schedule.
    Notified,
    /// A cancellation arrived during the poll: the runner still owns the
    /// future and must drop it.
    Cancelled,
}

/// What a canceller owns after requesting cancellation (rule 5).
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToCancel {
    /// The task had already finished; nothing changed.
    AlreadyDone,
    /// The task is queued or running; whoever runs it next drops the future.
    Requested,
    /// The task was idle: the canceller now owns the future (and one extra
    /// reference) and must drop it and complete the task.
    RunInPlace,
    /// The task is a `block_on` root, which cannot be cancelled.
    Refused,
}

/// What a waker must do after marking a task scheduled (rule 1).
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotified {
    /// Push a queue entry for the task; it holds one reference.
    Submit,
    /// Nothing: the task is already queued, running, or complete.
    DoNothing,
    /// Nothing to schedule, and the waker's reference was the last one.
    Dealloc,
}

/// The atomic state word of one task.
pub(crate) struct State(AtomicUsize);

impl State {
    /// A spawned task: queued, with a `Task` handle, and `refs` references.
    pub(crate) fn new(initial: usize) -> State {
        State(AtomicUsize::new(initial))
    }

    #[inline]
    pub(crate) fn load(&self) -> Snapshot {
        // ORDERING: Acquire pairs with the AcqRel CAS in `transition_to_complete`,
        // so a reader that sees COMPLETE also sees the stored output (rule 4).
        Snapshot(self.0.load(Ordering::Acquire))
    }

    /// Runs `f` in a CAS loop; `f` returns the new value and a result, or
    /// `None` to stop without writing.
    #[inline]
    fn fetch_update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<usize>, R)) -> (Snapshot, R) {
        // ORDERING: Acquire on the first load, then AcqRel on the CAS: every
        // transition both publishes what its caller wrote (the output, a
        // waker, data a waker's owner wrote before waking) and observes what
        // the previous transition published.
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            let (next, res) = f(Snapshot(cur));
            let Some(next) = next else {
                return (Snapshot(cur), res);
            };
            // ORDERING: see above.
            match self.0.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return (Snapshot(cur), res),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Rule 2: a queue entry is being run.
    #[inline]
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        let (_, res) = self.fetch_update(|s| {
            debug_assert!(s.has(SCHEDULED) && !s.has(RUNNING) && !s.has(COMPLETE), "{s:?}");
            let next = (s.0 & !SCHEDULED) | RUNNING;
            if s.has(CANCELLED) {
                (Some(next), TransitionToRunning::Cancelled)
            } else {
                (Some(next), TransitionToRunning::Success)
            }
        });
        res
    }

    /// Rule 2 at shutdown: a queue entry is taken only to be dropped.
    pub(crate) fn transition_to_running_for_shutdown(&self) {
        let (_, ()) = self.fetch_update(|s| {
            debug_assert!(s.has(SCHEDULED) && !s.has(RUNNING), "{s:?}");
            (Some((s.0 & !SCHEDULED) | RUNNING | CANCELLED), ())
        });
    }

    /// Rule 3: the poll returned `Pending`.
    #[inline]
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        let (_, res) = self.fetch_update(|s| {
            debug_assert!(s.has(RUNNING), "{s:?}");
            if s.has(CANCELLED) {
                (None, TransitionToIdle::Cancelled)
            } else if s.has(SCHEDULED) {
                (Some(s.0 & !RUNNING), TransitionToIdle::Notified)
            } else {
                debug_assert!(s.ref_count() >= 2, "the registry holds a reference: {s:?}");
                (Some((s.0 & !RUNNING) - REF_ONE), TransitionToIdle::Idle)
            }
        });
        res
    }

    /// Rule 4: the future is gone and the output is stored. `outcome` is
    /// `PANICKED`, `CANCEL_OUTCOME` or 0. Returns the state before.
    #[inline]
    pub(crate) fn transition_to_complete(&self, outcome: usize) -> Snapshot {
        let (prev, ()) = self.fetch_update(|s| {
            debug_assert!(s.has(RUNNING) && !s.has(COMPLETE), "{s:?}");
            (Some((s.0 & !(RUNNING | SCHEDULED)) | COMPLETE | outcome), ())
        });
        prev
    }

    /// Rule 1: `wake_by_ref`. The caller holds a reference it keeps.
    #[inline]
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotified {
        let (_, res) = self.fetch_update(|s| {
            if s.has(COMPLETE) || s.has(SCHEDULED) || s.has(ROOT) {
                (None, TransitionToNotified::DoNothing)
            } else if s.has(RUNNING) {
                (Some(s.0 | SCHEDULED), TransitionToNotified::DoNothing)
            } else {
                (Some((s.0 | SCHEDULED) + REF_ONE), TransitionToNotified::Submit)
            }
        });
        res
    }

    /// Rule 1: `wake`. The caller gives up its reference.
    #[inline]
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotified {
        let (_, res) = self.fetch_update(|s| {
            if s.is_idle() && !s.has(ROOT) {
                // The waker's reference moves to the queue entry.
                (Some(s.0 | SCHEDULED), TransitionToNotified::Submit)
            } else {
                let mut next = s.0 - REF_ONE;
                if s.has(RUNNING) {
                    next |= SCHEDULED;
                }
                let res = if Snapshot(next).ref_count() == 0 {
                    TransitionToNotified::Dealloc
                } else {
                    TransitionToNotified::DoNothing
                };
                (Some(next), res)
            }
        });
        res
    }

    /// Rule 5: request cancellation.
    pub(crate) fn transition_to_cancel(&self) -> TransitionToCancel {
        let (_, res) = self.fetch_update(|s| {
            if s.has(COMPLETE) {
                (None, TransitionToCancel::AlreadyDone)
            } else if s.has(ROOT) {
                (None, TransitionToCancel::Refused)
            } else if s.has(CANCELLED) {
                (None, TransitionToCancel::Requested)
            } else if s.is_idle() {
                (Some((s.0 | CANCELLED | RUNNING) + REF_ONE), TransitionToCancel::RunInPlace)
            } else {
                (Some(s.0 | CANCELLED), TransitionToCancel::Requested)
            }
        });
        res
    }

    /// Rule 6: the `Task` handle goes away. Returns `true` if the task had
    /// completed, in which case the handle owns the output and must drop it.
    pub(crate) fn unset_join_interest(&self) -> bool {
        let (prev, ()) = self.fetch_update(|s| {
            debug_assert!(s.has(JOIN_INTEREST), "{s:?}");
            if s.has(COMPLETE) { (None, ()) } else { (Some(s.0 & !(JOIN_INTEREST | JOIN_WAKER)), ()) }
        });
        prev.has(COMPLETE)
    }

    /// Rule 7: the handle publishes the waker it just wrote. `Err` carries
    /// the state if the task completed first (the handle still owns the slot).
    #[inline]
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        let (prev, ok) = self.fetch_update(|s| {
            debug_assert!(s.has(JOIN_INTEREST) && !s.has(JOIN_WAKER), "{s:?}");
            if s.has(COMPLETE) { (None, false) } else { (Some(s.0 | JOIN_WAKER), true) }
        });
        if ok { Ok(()) } else { Err(prev) }
    }

    /// Rule 7: the handle takes the waker slot back to rewrite it.
    #[inline]
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        let (prev, ok) = self.fetch_update(|s| {
            debug_assert!(s.has(JOIN_INTEREST) && s.has(JOIN_WAKER), "{s:?}");
            if s.has(COMPLETE) { (None, false) } else { (Some(s.0 & !JOIN_WAKER), true) }
        });
        if ok { Ok(()) } else { Err(prev) }
    }

    /// Rule 8: mark that done callbacks exist. Returns the state before.
    pub(crate) fn set_callbacks(&self) -> Snapshot {
        // ORDERING: AcqRel: the registrant must see COMPLETE (and the output)
        // if completion came first, and the completer must see CALLBACKS if
        // registration came first; both sides then meet under the cold lock.
        Snapshot(self.0.fetch_or(CALLBACKS, Ordering::AcqRel))
    }

    #[inline]
    pub(crate) fn ref_inc(&self) {
        // ORDERING: Relaxed: a new reference is made from an existing one,
        // which already keeps the cell alive (as in `Arc::clone`).
        let prev = self.0.fetch_add(REF_ONE, Ordering::Relaxed);
        if Snapshot(prev).ref_count() > (usize::MAX >> REF_SHIFT) / 2 {
            std::process::abort();
        }
    }

    /// Drops one reference; `true` if it was the last (then deallocate).
    #[inline]
    pub(crate) fn ref_dec(&self) -> bool {
        self.ref_dec_n(1)
    }

    /// Drops `n` references at once; `true` if they were the last.
    #[inline]
    pub(crate) fn ref_dec_n(&self, n: usize) -> bool {
        // ORDERING: AcqRel: every use of the cell through the dropped
        // references happens before the deallocation by the last owner.
        let prev = Snapshot(self.0.fetch_sub(n * REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.ref_count() >= n, "{prev:?} - {n}");
        prev.ref_count() == n
    }
}
