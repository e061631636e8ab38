//! `TaskGroup`: structured concurrency — asyncio's `asyncio.TaskGroup`.
//!
//! # How it works
//!
//! Each child runs wrapped in a `GroupChild`, which reports its own outcome
//! to the group's shared state from inside the child task, at the moment it
//! happens — so the first failure cancels the siblings at once, whether or
//! not anyone is awaiting `join` yet:
//!
//! 1. `Ok(v)`: the child's task returns `Some(v)`; `join` stores it.
//! 2. `Err(e)`: the child records `Failed(e)`, then aborts the group; its
//!    task returns `None`.
//! 3. A panic: a guard on the stack of the child's poll records a panic
//!    slot for the child's index (the payload is filled in by `join`, which
//!    gets it from the task), then aborts the group.
//! 4. Dropped unfinished (cancelled): recorded as `Cancelled` unless the
//!    group is aborting or closed (then the group itself cancelled it).
//!
//! Aborting sets `aborting` under the lock, then cancels every other child
//! *after* releasing it: cancelling an idle task drops its future on the
//! calling thread, and that future's guard takes the lock (rule 4).
//! Nothing is cancelled or dropped while the lock is held.
//!
//! New children (from the group or a handle) reserve an index under the
//! lock, are spawned outside it, then put their `Task` into `incoming` and
//! announce the index to `join`'s completion queue (`ready.rs`). `join`
//! finishes when it has seen as many children finish as were reserved, and
//! marks the group closed under the same lock, so no child can slip in
//! after.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use parking_lot::Mutex;

use crate::ready::{ReadySet, RemoteSet};
use crate::{PanicPayload, Task, TaskError, TaskRef};

/// Why one child of a [`TaskGroup`] did not produce a value.
#[derive(Debug)]
pub enum GroupFailure<E> {
    /// The child returned `Err(e)`.
    Failed(E),
    /// The child panicked.
    Panicked(PanicPayload),
    /// The child was cancelled through its own `TaskRef` (not by the group).
    Cancelled,
}

impl<E: fmt::Display> fmt::Display for GroupFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupFailure::Failed(e) => write!(f, "failed: {e}"),
            GroupFailure::Panicked(p) => match p.message() {
                Some(msg) => write!(f, "panicked: {msg}"),
                None => f.write_str("panicked"),
            },
            GroupFailure::Cancelled => f.write_str("cancelled"),
        }
    }
}

/// Every failure of a [`TaskGroup`], in the order they happened — asyncio's
/// `ExceptionGroup`.
#[derive(Debug)]
pub struct GroupError<E> {
    errors: Vec<GroupFailure<E>>,
}

impl<E> GroupError<E> {
    /// The failures, in the order they happened.
    pub fn errors(&self) -> &[GroupFailure<E>] {
        &self.errors
    }

    /// Takes the failures.
    pub fn into_errors(self) -> Vec<GroupFailure<E>> {
        self.errors
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} task(s) of the group failed", self.errors.len())?;
        if let Some(first) = self.errors.first() {
            write!(f, "; first {first}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

/// Returned by [`TaskGroupHandle::create_task`] once the group has failed
/// or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupClosed;

impl fmt::Display for GroupClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the task group is closed: it failed or finished")
    }
}

impl std::error::Error for GroupClosed {}

/// A failure slot, in the order failures happened.
enum Slot<E> {
    Failure(GroupFailure<E>),
    /// Child `index` panicked; `join` fills in the payload.
    Panic(usize),
}

struct State<T, E> {
    /// Tasks spawned but not yet taken by `join`, with their index.
    incoming: Vec<(usize, Task<Option<T>>)>,
    /// Every child still running, by index, for aborting. An entry is
    /// reserved (`None`) before the child is spawned, filled after, and
    /// removed by the child's guard when its future goes away, so finished
    /// children cost the group nothing here.
    refs: HashMap<usize, Option<TaskRef>>,
    /// Children reserved so far.
    reserved: usize,
    aborting: bool,
    closed: bool,
    failures: Vec<Slot<E>>,
}

struct GroupShared<T, E> {
    state: Mutex<State<T, E>>,
    remote: RemoteSet,
    runtime: Option<corio_sched::Handle>,
}

impl<T: Send + 'static, E: Send + 'static> GroupShared<T, E> {
    /// Spawns `f` as child of the group; `Err` once the group is closed or
    /// aborting (then nothing is spawned).
    fn create<F>(self: &Arc<Self>, f: F) -> Result<TaskRef, GroupClosed>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        // Find the runtime first: `Handle::current()` panics outside one, and
        // that must happen before a child index is reserved, or `join` would
        // wait for a child that never comes.
        let runtime = match &self.runtime {
            Some(rt) => rt.clone(),
            None => corio_sched::Handle::current(),
        };
        let index = {
            let mut st = self.state.lock();
            if st.aborting || st.closed {
                return Err(GroupClosed);
            }
            st.reserved += 1;
            let index = st.reserved - 1;
            st.refs.insert(index, None);
            index
        };
        let child = GroupChild { fut: Box::pin(f), guard: ChildGuard { shared: self.clone(), index, finished: false } };
        let task = runtime.spawn(child);
        let task_ref = task.task_ref();
        let aborting = {
            let mut st = self.state.lock();
            st.incoming.push((index, task));
            // Still running (its guard has not removed the entry): remember it.
            if let Some(slot) = st.refs.get_mut(&index) {
                *slot = Some(task_ref.clone());
            }
            st.aborting
        };
        self.remote.announce(index);
        if aborting {
            // Rule: a child added while the group aborted is cancelled too.
            task_ref.cancel();
        }
        Ok(task_ref)
    }

    /// Records a failure and aborts the group (rules 2, 3).
    fn fail(&self, slot: Slot<E>, me: usize) {
        let victims = {
            let mut st = self.state.lock();
            st.failures.push(slot);
            if st.aborting {
                Vec::new()
            } else {
                st.aborting = true;
                st.refs.iter().filter(|(i, _)| **i != me).filter_map(|(_, r)| r.clone()).collect()
            }
        };
        for r in victims {
            r.cancel();
        }
    }
}

/// Reports a child's end to the group (rules 2–4).
struct ChildGuard<T: Send + 'static, E: Send + 'static> {
    shared: Arc<GroupShared<T, E>>,
    index: usize,
    finished: bool,
}

impl<T: Send + 'static, E: Send + 'static> Drop for ChildGuard<T, E> {
    fn drop(&mut self) {
        let mut st = self.shared.state.lock();
        let own_ref = st.refs.remove(&self.index);
        if !self.finished && !st.aborting && !st.closed {
            st.failures.push(Slot::Failure(GroupFailure::Cancelled));
        }
        drop(st);
        drop(own_ref);
    }
}

/// Aborts the group if the child's poll unwinds (rule 3).
struct PanicBomb<'a, T: Send + 'static, E: Send + 'static>(Option<&'a mut ChildGuard<T, E>>);

impl<T: Send + 'static, E: Send + 'static> Drop for PanicBomb<'_, T, E> {
    fn drop(&mut self) {
        if let Some(guard) = self.0.take() {
            guard.finished = true;
            guard.shared.fail(Slot::Panic(guard.index), guard.index);
        }
    }
}

/// A child's future, wrapped.
struct GroupChild<F, T: Send + 'static, E: Send + 'static> {
    fut: Pin<Box<F>>,
    guard: ChildGuard<T, E>,
}

impl<F, T, E> Future for GroupChild<F, T, E>
where
    F: Future<Output = Result<T, E>>,
    T: Send + 'static,
    E: Send + 'static,
{
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let mut bomb = PanicBomb(Some(&mut this.guard));
        let polled = this.fut.as_mut().poll(cx);
        let guard = bomb.0.take().expect("armed");
        let res = std::task::ready!(polled);
        guard.finished = true;
        match res {
            Ok(v) => Poll::Ready(Some(v)),
            Err(e) => {
                guard.shared.fail(Slot::Failure(GroupFailure::Failed(e)), guard.index);
                Poll::Ready(None)
            }
        }
    }
}

/// Structured concurrency — asyncio's `async with asyncio.TaskGroup() as tg`.
///
/// Children are added with [`create_task`](TaskGroup::create_task) (or by
/// other tasks through a [`TaskGroupHandle`]); [`join`](TaskGroup::join)
/// waits for all of them and gives their values in creation order. The first
/// `Err` or panic cancels every other child at once, and `join` then returns
/// every failure in the order they happened. A child cancelled on its own
/// (through its `TaskRef`) does not cancel its siblings and is reported as
/// [`GroupFailure::Cancelled`]. Dropping a group without joining it cancels
/// its children.
///
/// ```
/// corio::run(async {
///     let mut tg = corio::TaskGroup::<u32, String>::new();
///     tg.create_task(async { Ok(1) });
///     tg.create_task(async { Ok(2) });
///     assert_eq!(tg.join().await.unwrap(), [1, 2]);
///
///     let mut tg = corio::TaskGroup::<u32, String>::new();
///     tg.create_task(std::future::pending()); // cancelled by the failure below
///     tg.create_task(async { Err("boom".to_string()) });
///     let err = tg.join().await.unwrap_err();
///     assert!(matches!(err.errors(), [corio::GroupFailure::Failed(e)] if e == "boom"));
/// });
/// ```
pub struct TaskGroup<T: Send + 'static, E: Send + 'static> {
    shared: Arc<GroupShared<T, E>>,
    ready: ReadySet,
    tasks: Vec<Option<Task<Option<T>>>>,
    values: Vec<Option<T>>,
    seen: usize,
}

impl<T: Send + 'static, E: Send + 'static> Default for TaskGroup<T, E> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T: Send + 'static, E: Send + 'static> TaskGroup<T, E> {
    /// An empty group. Children are spawned on the runtime current here, or,
    /// if there is none, on the one current where they are created.
    pub fn new() -> Self {
        let ready = ReadySet::new(0);
        let state = State {
            incoming: Vec::new(),
            refs: HashMap::new(),
            reserved: 0,
            aborting: false,
            closed: false,
            failures: Vec::new(),
        };
        let shared = Arc::new(GroupShared {
            state: Mutex::new(state),
            remote: ready.remote(),
            runtime: corio_sched::Handle::try_current(),
        });
        TaskGroup { shared, ready, tasks: Vec::new(), values: Vec::new(), seen: 0 }
    }

    /// Spawns `f` as a child of the group — asyncio's `tg.create_task`.
    /// Once the group has failed, the new child is not started (asyncio
    /// raises `RuntimeError`): the returned `TaskRef` is of a task that is
    /// already cancelled.
    #[track_caller]
    pub fn create_task<F>(&mut self, f: F) -> TaskRef
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        match self.shared.create(f) {
            Ok(r) => r,
            Err(GroupClosed) => {
                let task = crate::create_task(std::future::pending::<()>());
                let r = task.task_ref();
                task.cancel_with("the task group has failed: no new tasks");
                r
            }
        }
    }

    /// A handle children can add tasks with. `Clone + Send`.
    pub fn handle(&self) -> TaskGroupHandle<T, E> {
        TaskGroupHandle { shared: self.shared.clone() }
    }

    /// Waits for every child (also ones added through handles meanwhile)
    /// and returns their values in creation order, or every failure.
    pub async fn join(mut self) -> Result<Vec<T>, GroupError<E>> {
        std::future::poll_fn(|cx| self.poll_join(cx)).await
    }

    /// Moves newly spawned tasks from the shared state into `tasks` (the
    /// caller grows the ready set to match).
    fn take_incoming(
        shared: &GroupShared<T, E>,
        tasks: &mut Vec<Option<Task<Option<T>>>>,
        values: &mut Vec<Option<T>>,
    ) {
        let incoming = std::mem::take(&mut shared.state.lock().incoming);
        for (index, task) in incoming {
            if tasks.len() <= index {
                tasks.resize_with(index + 1, || None);
                values.resize_with(index + 1, || None);
            }
            tasks[index] = Some(task);
        }
    }

    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<Vec<T>, GroupError<E>>> {
        loop {
            let (shared, tasks, values) = (&self.shared, &mut self.tasks, &mut self.values);
            let polled = self.ready.poll_woken(cx, |mut child| {
                let i = child.index();
                if i >= tasks.len() || tasks[i].is_none() {
                    Self::take_incoming(shared, tasks, values);
                    child.grow_to(tasks.len());
                }
                let Some(task) = tasks.get_mut(i).and_then(Option::as_mut) else { return Poll::Pending };
                child.poll(|cx| Pin::new(task).poll(cx)).map(|res| (i, res))
            });
            let Poll::Ready((i, res)) = polled else { return self.try_finish() };
            self.tasks[i] = None;
            self.ready.release(i);
            self.seen += 1;
            match res {
                Ok(Some(v)) => self.values[i] = Some(v),
                // Failed (recorded by the child) or cancelled (recorded by
                // its guard, or by the group).
                Ok(None) | Err(TaskError::Cancelled(_)) | Err(TaskError::InvalidState) => {}
                Err(TaskError::Panicked(p)) => self.fill_panic(i, p),
            }
        }
    }

    fn fill_panic(&mut self, index: usize, payload: PanicPayload) {
        let mut st = self.shared.state.lock();
        let slot = st.failures.iter_mut().find(|s| matches!(**s, Slot::Panic(j) if j == index));
        match slot {
            Some(s) => *s = Slot::Failure(GroupFailure::Panicked(payload)),
            // A panic while being dropped, outside the child's poll.
            None => st.failures.push(Slot::Failure(GroupFailure::Panicked(payload))),
        }
    }

    /// Finishes if every reserved child has been seen to end; closes the
    /// group in the same critical section.
    fn try_finish(&mut self) -> Poll<Result<Vec<T>, GroupError<E>>> {
        let failures = {
            let mut st = self.shared.state.lock();
            if self.seen < st.reserved {
                return Poll::Pending;
            }
            st.closed = true;
            std::mem::take(&mut st.failures)
        };
        if failures.is_empty() {
            let values = std::mem::take(&mut self.values);
            return Poll::Ready(Ok(values.into_iter().map(|v| v.expect("every child produced a value")).collect()));
        }
        let errors = failures
            .into_iter()
            .filter_map(|s| match s {
                Slot::Failure(f) => Some(f),
                Slot::Panic(_) => None,
            })
            .collect();
        Poll::Ready(Err(GroupError { errors }))
    }
}

impl<T: Send + 'static, E: Send + 'static> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        let (refs, incoming) = {
            let mut st = self.shared.state.lock();
            st.aborting = true;
            st.closed = true;
            (std::mem::take(&mut st.refs), std::mem::take(&mut st.incoming))
        };
        for r in refs.into_values().flatten() {
            r.cancel();
        }
        drop(incoming);
        self.tasks.clear();
    }
}

impl<T: Send + 'static, E: Send + 'static> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state.lock();
        f.debug_struct("TaskGroup")
            .field("children", &st.reserved)
            .field("finished", &self.seen)
            .field("failed", &st.aborting)
            .finish()
    }
}

/// Adds tasks to a [`TaskGroup`] from anywhere (typically from its
/// children). `Clone + Send`.
pub struct TaskGroupHandle<T: Send + 'static, E: Send + 'static> {
    shared: Arc<GroupShared<T, E>>,
}

impl<T: Send + 'static, E: Send + 'static> TaskGroupHandle<T, E> {
    /// Spawns `f` as a child of the group; `Err(GroupClosed)` once the group
    /// has failed or its `join` has finished (or it was dropped).
    ///
    /// ```
    /// corio::run(async {
    ///     let mut tg = corio::TaskGroup::<u32, ()>::new();
    ///     let handle = tg.handle();
    ///     tg.create_task(async move {
    ///         handle.create_task(async { Ok(2) }).unwrap();
    ///         Ok(1)
    ///     });
    ///     assert_eq!(tg.join().await.unwrap(), [1, 2]);
    /// });
    /// ```
    pub fn create_task<F>(&self, f: F) -> Result<TaskRef, GroupClosed>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.shared.create(f)
    }

    /// `true` once the group has failed or finished.
    pub fn is_closed(&self) -> bool {
        let st = self.shared.state.lock();
        st.aborting || st.closed
    }
}

impl<T: Send + 'static, E: Send + 'static> Clone for TaskGroupHandle<T, E> {
    fn clone(&self) -> Self {
        TaskGroupHandle { shared: self.shared.clone() }
    }
}

impl<T: Send + 'static, E: Send + 'static> fmt::Debug for TaskGroupHandle<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupHandle").field("closed", &self.is_closed()).finish()
    }
}
