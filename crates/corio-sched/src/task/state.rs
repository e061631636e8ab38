//! The task state word: flag bits and a reference count in one `AtomicUsize`.
//!
//! | bit | name              | set by                                   | cleared by                              |
//! |-----|-------------------|------------------------------------------|-----------------------------------------|
//! | 0   | `SCHEDULED`       | a wake of an idle task, or of a running one (then it means "poll again"); a runner whose task yielded (`transition_to_idle(true)`) | the runner taking the task (`transition_to_running`) |
//! | 1   | `RUNNING`         | the runner, or a canceller of an idle task | `transition_to_idle` / `transition_to_complete` |
//! | 2   | `COMPLETE`        | `transition_to_complete`                 | never                                   |
//! | 3   | `CANCELLED`       | `transition_to_cancel` (a request)       | never                                   |
//! | 4   | `JOIN_INTEREST`   | spawn (the `Task` handle exists)         | dropping or detaching the handle, unless `COMPLETE` |
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

/// A new task (rule 9): scheduled (its first queue entry exists), with a
/// `Task` handle, and three references: the handle's, the queue entry's and
/// the registry's.
pub(crate) const INITIAL: usize = SCHEDULED | JOIN_INTEREST | (3 * REF_ONE);

/// A new `block_on` root task: running on its thread from the start, and two
/// references: the runner's and the registry's.
pub(crate) const INITIAL_ROOT: usize = RUNNING | ROOT | (2 * REF_ONE);

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

/// What the completer still owns after setting `COMPLETE` (rule 4).
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Completed {
    /// Its references were released with `COMPLETE`: nothing is left to do,
    /// and the cell must not be touched again.
    Released,
    /// The state before: it follows rule 4 (output, join waker, callbacks)
    /// and releases its references itself.
    Kept(Snapshot),
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

    /// Rule 3: the poll returned `Pending`. `yielded`: the task asked during the poll, with its
    /// own waker, to be queued again at the back (`context::yield_task`), which counts as a wake
    /// while running, in this one transition.
    #[inline]
    pub(crate) fn transition_to_idle(&self, yielded: bool) -> TransitionToIdle {
        let (_, res) = self.fetch_update(|s| {
            debug_assert!(s.has(RUNNING), "{s:?}");
            if s.has(CANCELLED) {
                (None, TransitionToIdle::Cancelled)
            } else if yielded || s.has(SCHEDULED) {
                (Some((s.0 & !RUNNING) | SCHEDULED), TransitionToIdle::Notified)
            } else {
                debug_assert!(s.ref_count() >= 2, "the registry holds a reference: {s:?}");
                (Some((s.0 & !RUNNING) - REF_ONE), TransitionToIdle::Idle)
            }
        });
        res
    }

    /// Rule 4: the future is gone and the output is stored. `outcome` is
    /// `PANICKED`, `CANCEL_OUTCOME` or 0; `refs` are the references the
    /// completer releases at the end (its own and the registry's).
    ///
    /// When the handle will take the output (`JOIN_INTEREST`) and neither a
    /// join waker nor a callback waits, there is nothing left to do after
    /// `COMPLETE`: the same transition releases `refs` (the handle's own
    /// reference keeps the cell alive), and the completer must not touch the
    /// cell again. Otherwise it returns the state before and releases nothing.
    #[inline]
    pub(crate) fn transition_to_complete(&self, outcome: usize, refs: usize) -> Completed {
        let (prev, done) = self.fetch_update(|s| {
            debug_assert!(s.has(RUNNING) && !s.has(COMPLETE), "{s:?}");
            let next = (s.0 & !(RUNNING | SCHEDULED)) | COMPLETE | outcome;
            if s.has(JOIN_INTEREST) && s.0 & (JOIN_WAKER | CALLBACKS) == 0 {
                debug_assert!(s.ref_count() > refs, "the handle holds a reference: {s:?} - {refs}");
                (Some(next - refs * REF_ONE), true)
            } else {
                (Some(next), false)
            }
        });
        if done { Completed::Released } else { Completed::Kept(prev) }
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

/// The state word against a plain-struct model of the rules, over random
/// sequences of transitions (single-threaded: the interleavings are loom's
/// job; this checks the bit arithmetic of every transition).
#[cfg(all(test, not(corio_loom)))]
mod model_tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Copy, Debug)]
    enum Op {
        WakeByRef,
        WakeByVal,
        CloneWaker,
        Run,
        PollPending,
        PollYielded,
        Complete,
        Cancel,
        DropJoin,
        SetJoinWaker,
        UnsetJoinWaker,
    }

    #[derive(Debug, Default)]
    struct Model {
        scheduled: bool,
        running: bool,
        complete: bool,
        cancelled: bool,
        join: bool,
        join_waker: bool,
        /// Queue entries that exist (each holds a reference).
        queued: usize,
        /// Wakers held by the test (each holds a reference).
        wakers: usize,
        refs: usize,
    }

    impl Model {
        fn bits(&self) -> usize {
            let mut b = 0;
            for (on, bit) in [
                (self.scheduled, SCHEDULED),
                (self.running, RUNNING),
                (self.complete, COMPLETE),
                (self.cancelled, CANCELLED),
                (self.join, JOIN_INTEREST),
                (self.join_waker, JOIN_WAKER),
            ] {
                if on {
                    b |= bit;
                }
            }
            b
        }
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::WakeByRef),
            Just(Op::WakeByVal),
            Just(Op::CloneWaker),
            Just(Op::Run),
            Just(Op::PollPending),
            Just(Op::PollYielded),
            Just(Op::Complete),
            Just(Op::Cancel),
            Just(Op::DropJoin),
            Just(Op::SetJoinWaker),
            Just(Op::UnsetJoinWaker),
        ]
    }

    fn apply(state: &State, m: &mut Model, op: Op) {
        match op {
            Op::CloneWaker => {
                state.ref_inc();
                m.wakers += 1;
                m.refs += 1;
            }
            Op::WakeByRef => {
                let got = state.transition_to_notified_by_ref();
                let want = if m.complete || m.scheduled {
                    TransitionToNotified::DoNothing
                } else if m.running {
                    m.scheduled = true;
                    TransitionToNotified::DoNothing
                } else {
                    m.scheduled = true;
                    m.refs += 1;
                    m.queued += 1;
                    TransitionToNotified::Submit
                };
                assert_eq!(got, want);
            }
            Op::WakeByVal if m.wakers > 0 => {
                let got = state.transition_to_notified_by_val();
                m.wakers -= 1;
                let want = if !m.complete && !m.scheduled && !m.running {
                    m.scheduled = true;
                    m.queued += 1;
                    TransitionToNotified::Submit
                } else {
                    if m.running {
                        m.scheduled = true;
                    }
                    m.refs -= 1;
                    if m.refs == 0 { TransitionToNotified::Dealloc } else { TransitionToNotified::DoNothing }
                };
                assert_eq!(got, want);
            }
            Op::Run if m.queued > 0 && !m.running && !m.complete => {
                let got = state.transition_to_running();
                m.queued -= 1;
                m.scheduled = false;
                m.running = true;
                let want = if m.cancelled { TransitionToRunning::Cancelled } else { TransitionToRunning::Success };
                assert_eq!(got, want);
            }
            Op::PollPending | Op::PollYielded if m.running && (matches!(op, Op::PollYielded) || m.refs >= 2) => {
                let yielded = matches!(op, Op::PollYielded);
                let got = state.transition_to_idle(yielded);
                // Rule 3: a yield with the task's own waker is a wake while running.
                if yielded && !m.cancelled {
                    m.scheduled = true;
                }
                let want = if m.cancelled {
                    TransitionToIdle::Cancelled
                } else if m.scheduled {
                    m.running = false;
                    m.queued += 1;
                    TransitionToIdle::Notified
                } else {
                    m.running = false;
                    m.refs -= 1;
                    TransitionToIdle::Idle
                };
                assert_eq!(got, want);
            }
            Op::Complete if m.running => {
                let bits = m.bits();
                let quick = bits & JOIN_INTEREST != 0 && bits & (JOIN_WAKER | CALLBACKS) == 0;
                let got = state.transition_to_complete(0, 1);
                m.complete = true;
                m.running = false;
                m.scheduled = false;
                if quick {
                    // Released with the transition; the handle's reference remains.
                    assert_eq!(got, Completed::Released);
                } else {
                    let Completed::Kept(prev) = got else { panic!("released with {bits:#x}") };
                    assert_eq!(prev.0 & (JOIN_INTEREST | JOIN_WAKER), bits & (JOIN_INTEREST | JOIN_WAKER));
                    // The completer releases its reference.
                    assert_eq!(state.ref_dec(), m.refs == 1);
                }
                m.refs -= 1;
            }
            Op::Cancel => {
                let got = state.transition_to_cancel();
                let want = if m.complete {
                    TransitionToCancel::AlreadyDone
                } else if m.cancelled || m.running || m.scheduled {
                    m.cancelled = true;
                    TransitionToCancel::Requested
                } else {
                    m.cancelled = true;
                    m.running = true;
                    m.refs += 1;
                    TransitionToCancel::RunInPlace
                };
                assert_eq!(got, want);
            }
            Op::DropJoin if m.join => {
                let owns_output = state.unset_join_interest();
                assert_eq!(owns_output, m.complete);
                if !m.complete {
                    m.join = false;
                    m.join_waker = false;
                }
            }
            Op::SetJoinWaker if m.join && !m.join_waker => {
                let got = state.set_join_waker();
                assert_eq!(got.is_ok(), !m.complete);
                if !m.complete {
                    m.join_waker = true;
                }
            }
            Op::UnsetJoinWaker if m.join && m.join_waker => {
                let got = state.unset_join_waker();
                assert_eq!(got.is_ok(), !m.complete);
                if !m.complete {
                    m.join_waker = false;
                }
            }
            _ => return,
        }
        let snap = state.load();
        let mask = SCHEDULED | RUNNING | COMPLETE | CANCELLED | JOIN_INTEREST | JOIN_WAKER;
        assert_eq!(snap.0 & mask, m.bits(), "{snap:?} vs {m:?} after {op:?}");
        assert_eq!(snap.ref_count(), m.refs, "{snap:?} vs {m:?} after {op:?}");
        // Rule 1: one queue entry exactly while scheduled and neither running nor complete.
        assert_eq!(m.queued, usize::from(m.scheduled && !m.running && !m.complete), "{m:?} after {op:?}");
    }

    proptest! {
        #[test]
        fn state_word_follows_the_model(ops in proptest::collection::vec(op(), 1..64)) {
            // As spawned: queued, with a handle; refs = handle + registry + entry.
            let state = State::new(INITIAL);
            let mut m = Model { scheduled: true, join: true, queued: 1, refs: 3, ..Model::default() };
            for op in ops {
                if m.refs == 0 {
                    break;
                }
                apply(&state, &mut m, op);
            }
        }
    }
}
