//! The children of `gather` and `as_completed`: their tasks, the ready set
//! that says which woke (`ready.rs`), and how many are left.
//!
//! # Slots
//!
//! Child `i` has one slot, which holds its `Task` until the child finishes
//! and then what the combinator keeps of its result (`gather`'s value,
//! `return_exceptions`' outcome), in the same bytes. So a gather of n
//! children holds one vector of n slots, and when the values have the
//! slot's layout (size and alignment) that vector *is* the output: no second vector of
//! values, and no copy at the end. At 4M children of a `u64` the separate
//! `Vec<Option<u64>>` was 64 MB, over glibc's mmap threshold, so it was
//! faulted in afresh on every gather.
//!
//! 1. A slot is in one of three states, kept in two bit vectors: *task*
//!    (neither bit), *gone* (the task was taken: finished and collected,
//!    detached or cancelled; nothing to drop), *kept* (both bits: it holds a
//!    value `O`). States only move forward: task → gone → kept.
//! 2. Only a slot in state *task* is read as a task, and only one in state
//!    *kept* as a value; `Drop` drops exactly those.
//! 3. [`Children::take_kept`] turns the vector into a `Vec<O>` in place when
//!    a slot and an `O` have the same layout (the slot is a `repr(C)` union,
//!    so its value is at offset 0), else moves the values into a new vector.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::ready::ReadySet;
use crate::{Task, TaskError};

/// A child's place (rule 1): which field is live is in [`Children`]' bits.
#[repr(C)]
union Slot<T, O> {
    task: ManuallyDrop<Task<T>>,
    kept: ManuallyDrop<O>,
    gone: (),
}

/// One bit per child.
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    #[inline]
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    #[inline]
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Whether bits `0..n` are all set (a word at a time).
    fn all(&self, n: usize) -> bool {
        let (full, rest) = (n / 64, n % 64);
        self.0[..full].iter().all(|&w| w == u64::MAX) && (rest == 0 || self.0[full] == (1 << rest) - 1)
    }
}

/// The children and the completion queue, shared by [`Gather`],
/// [`GatherSettled`] and [`AsCompleted`]; `O` is what a finished child's
/// slot keeps (nothing, for `as_completed`).
///
/// [`Gather`]: crate::Gather
/// [`GatherSettled`]: crate::GatherSettled
/// [`AsCompleted`]: crate::AsCompleted
pub(crate) struct Children<T, O = ()> {
    slots: Vec<Slot<T, O>>,
    /// Rule 1: the slot's task was taken.
    gone: Bits,
    /// Rule 1: the slot holds a value.
    kept: Bits,
    ready: ReadySet,
    pub(crate) remaining: usize,
    /// The first poll yielded (see `poll_next`).
    yielded: bool,
    /// The combinator is over: it returned its error, or took the values.
    over: bool,
}

impl<T, O> Children<T, O> {
    #[track_caller]
    pub(crate) fn spawn<I, F>(futs: I) -> Children<T, O>
    where
        I: IntoIterator<Item = F>,
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let handle = corio_sched::Handle::current();
        Children::new(futs.into_iter().map(|f| handle.spawn(f)), false)
    }

    /// Children that are running already (`as_completed`): no first yield.
    pub(crate) fn from_tasks(tasks: impl IntoIterator<Item = Task<T>>) -> Children<T, O> {
        Children::new(tasks.into_iter(), true)
    }

    fn new(tasks: impl Iterator<Item = Task<T>>, yielded: bool) -> Children<T, O> {
        let slots: Vec<Slot<T, O>> = tasks.map(|task| Slot { task: ManuallyDrop::new(task) }).collect();
        let n = slots.len();
        let (gone, kept) = (Bits::new(n), Bits::new(n));
        Children { slots, gone, kept, ready: ReadySet::new(n), remaining: n, yielded, over: false }
    }

    /// How many children there were to begin with.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Takes child `i`'s task out of its slot (rule 1: task → gone).
    #[inline]
    fn take_task(&mut self, i: usize) -> Task<T> {
        assert!(!self.gone.get(i), "child {i}'s task was taken already");
        self.gone.set(i);
        // SAFETY: rule 2: the slot held the task, and is now marked gone, so
        // it is never read as one again.
        unsafe { ManuallyDrop::take(&mut self.slots[i].task) }
    }

    /// Polls the children that woke us; `Ready((i, result))` for the next
    /// one that finished (its slot is then gone, see [`keep`](Self::keep)),
    /// `Ready` of `None` once all have.
    #[inline]
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, Result<T, TaskError>)>> {
        assert!(!self.over, "gather polled after completion");
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        if !self.yielded {
            // The children were spawned just now and are queued to run: yield
            // once (a task woken during its own poll is queued behind them),
            // so the first poll finds the quick ones finished instead of
            // registering a waker with each and being woken by each.
            self.yielded = true;
            corio_sched::coop::yield_task(cx.waker());
            return Poll::Pending;
        }
        let (slots, gone) = (&mut self.slots, &self.gone);
        let (i, res) = std::task::ready!(self.ready.poll_woken(cx, |mut child| {
            let i = child.index();
            // Finished and collected already: a repeat wake.
            if gone.get(i) {
                return Poll::Pending;
            }
            // SAFETY: rule 2: not gone, so the slot holds the task.
            let task = unsafe { &mut *slots[i].task };
            if task.done() {
                // Finished: its output is there without a waker, and the
                // set need not make its slot (`ready.rs`, "Memory"). The
                // poll can only be `Pending` if the coop budget ran out
                // (`poll_woken` hands a child out only with budget left);
                // then the child's own waker below queues it again.
                let mut noop = Context::from_waker(std::task::Waker::noop());
                if let Poll::Ready(res) = Pin::new(&mut *task).poll(&mut noop) {
                    return Poll::Ready((i, res));
                }
            }
            child.poll(|cx| Pin::new(task).poll(cx)).map(|res| (i, res))
        }));
        drop(self.take_task(i));
        self.remaining -= 1;
        Poll::Ready(Some((i, res)))
    }

    /// Keeps `value` in child `i`'s slot, which [`poll_next`](Self::poll_next)
    /// just handed out (rule 1: gone → kept).
    #[inline]
    pub(crate) fn keep(&mut self, i: usize, value: O) {
        debug_assert!(self.gone.get(i) && !self.kept.get(i), "child {i}'s slot cannot keep a value now");
        // Setting `gone` too keeps rule 1 (kept implies gone) even for a
        // caller that got this wrong: the slot's old content would leak, but
        // it is never read as a task again.
        self.gone.set(i);
        self.kept.set(i);
        self.slots[i].kept = ManuallyDrop::new(value);
    }

    /// Every slot's value, in input order (rule 3); leaves no children.
    ///
    /// # Panics
    ///
    /// If a slot keeps no value (its values were taken already).
    pub(crate) fn take_kept(&mut self) -> Vec<O> {
        let n = self.slots.len();
        assert!(!self.over, "gather polled after completion");
        assert!(self.kept.all(n), "every child of a finished gather keeps a value");
        self.over = true;
        // From here on `self` holds no slots: its `Drop` does nothing.
        let slots = std::mem::take(&mut self.slots);
        if std::alloc::Layout::new::<Slot<T, O>>() == std::alloc::Layout::new::<O>() {
            let mut slots = ManuallyDrop::new(slots);
            // SAFETY: rule 3: the buffer was allocated for `capacity` slots,
            // which is the same layout as `capacity` values of `O`; each of
            // the `n` slots holds an initialised `O` at offset 0 (`repr(C)`
            // union; all kept, checked above); `slots` is never used again.
            unsafe { Vec::from_raw_parts(slots.as_mut_ptr().cast::<O>(), n, slots.capacity()) }
        } else {
            // SAFETY: rule 2: every slot holds its value (checked above), and
            // each is moved out once, the vector being consumed.
            slots.into_iter().map(|slot| ManuallyDrop::into_inner(unsafe { slot.kept })).collect()
        }
    }

    /// The same children, their kept values turned by `f` (a `Gather`
    /// becoming `return_exceptions`'s).
    pub(crate) fn map_kept<P>(mut self, mut f: impl FnMut(O) -> P) -> Children<T, P> {
        let slots = std::mem::take(&mut self.slots);
        let slots = slots
            .into_iter()
            .enumerate()
            // Every slot is moved once (the vector is consumed), and `self`
            // holds none afterwards.
            .map(|(i, slot)| match (self.gone.get(i), self.kept.get(i)) {
                // SAFETY: rule 2: not gone, so the slot holds its task.
                (false, _) => Slot { task: unsafe { slot.task } },
                (true, true) => {
                    // SAFETY: rule 2: kept, so the slot holds its value.
                    let value = ManuallyDrop::into_inner(unsafe { slot.kept });
                    Slot { kept: ManuallyDrop::new(f(value)) }
                }
                (true, false) => Slot { gone: () },
            })
            .collect();
        Children {
            slots,
            gone: std::mem::replace(&mut self.gone, Bits(Vec::new())),
            kept: std::mem::replace(&mut self.kept, Bits(Vec::new())),
            ready: std::mem::replace(&mut self.ready, ReadySet::new(0)),
            remaining: self.remaining,
            yielded: self.yielded,
            over: self.over,
        }
    }

    /// Lets the unfinished children run on without us (asyncio's gather);
    /// the combinator is over.
    pub(crate) fn detach_rest(&mut self) {
        self.over = true;
        for i in 0..self.slots.len() {
            if !self.gone.get(i) {
                self.take_task(i).detach();
            }
        }
    }

    /// Cancels the unfinished children (`cancel_on_error`, or dropped); the
    /// combinator is over.
    pub(crate) fn cancel_rest(&mut self) {
        self.over = true;
        for i in 0..self.slots.len() {
            if !self.gone.get(i) {
                // Dropping a `Task` cancels it.
                drop(self.take_task(i));
            }
        }
    }
}

impl<T, O> Drop for Children<T, O> {
    /// Cancels the unfinished children, then drops the kept values (rule 2).
    fn drop(&mut self) {
        self.cancel_rest();
        let mut rest = DropKept { slots: &mut self.slots, kept: &self.kept, next: 0 };
        rest.drop_rest();
    }
}

/// Drops the kept values from `next` on. If one's `Drop` panics, the guard's
/// own `Drop` carries on with the ones after it (as a `Vec`'s drop does).
struct DropKept<'a, T, O> {
    slots: &'a mut [Slot<T, O>],
    kept: &'a Bits,
    next: usize,
}

impl<T, O> DropKept<'_, T, O> {
    fn drop_rest(&mut self) {
        while self.next < self.slots.len() {
            let i = self.next;
            self.next += 1;
            if self.kept.get(i) {
                // SAFETY: rule 2: the slot holds its value; `next` has moved
                // past it, so it is dropped once even if this panics.
                unsafe { ManuallyDrop::drop(&mut self.slots[i].kept) };
            }
        }
    }
}

impl<T, O> Drop for DropKept<'_, T, O> {
    fn drop(&mut self) {
        self.drop_rest();
    }
}
