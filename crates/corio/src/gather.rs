//! `gather` and `gather!`: run futures as tasks and collect their results in
//! input order — asyncio's `asyncio.gather`.
//!
//! Every child is spawned when `gather`/`gather!` is called. The combinator
//! polls a child only when that child's own waker fired (`ready.rs`), so one
//! completion costs O(1) and gathering a million tasks is linear. `gather`'s
//! first poll yields once, so the children just spawned run before it looks
//! at them: the ones that finish at once are collected without a waker.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::children::Children;
use crate::ready::ReadySet;
use crate::{Task, TaskError};

/// The future of [`gather`]: `Ok` with every value in input order, or the
/// first failure.
///
/// The first child to fail (panic, or be cancelled) makes the gather return
/// that error at once; the other children keep running, detached (asyncio),
/// unless [`cancel_on_error`](Gather::cancel_on_error) was called, in which
/// case they are cancelled. Dropping an unfinished `Gather` cancels every
/// unfinished child.
///
/// Polling it again after it returned `Ready` panics with "gather polled
/// after completion".
#[must_use = "futures do nothing unless awaited; dropping a Gather cancels its children"]
pub struct Gather<T> {
    /// Each finished child's value is kept in its slot (`children.rs`).
    children: Children<T, T>,
    cancel_on_error: bool,
}

/// Runs every future as a task (spawned now) and resolves to all their
/// values in input order — asyncio's `asyncio.gather(*aws)`.
///
/// ```
/// corio::run(async {
///     let squares = corio::gather((1..=4u64).map(|i| async move { i * i })).await.unwrap();
///     assert_eq!(squares, [1, 4, 9, 16]);
/// });
/// ```
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn gather<I, F>(futs: I) -> Gather<F::Output>
where
    I: IntoIterator<Item = F>,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Gather { children: Children::spawn(futs), cancel_on_error: false }
}

impl<T> Gather<T> {
    /// Collects every outcome instead of stopping at the first failure —
    /// asyncio's `return_exceptions=True`.
    ///
    /// ```
    /// corio::run(async {
    ///     let all = corio::gather([1u8, 0, 2].map(|d| async move { 10 / d })).return_exceptions().await;
    ///     assert_eq!(*all[0].as_ref().unwrap(), 10);
    ///     assert!(all[1].as_ref().unwrap_err().is_panic());
    ///     assert_eq!(*all[2].as_ref().unwrap(), 5);
    /// });
    /// ```
    pub fn return_exceptions(self) -> GatherSettled<T> {
        GatherSettled { children: self.children.map_kept(Ok) }
    }

    /// The first failure cancels the other children instead of leaving them
    /// running — structured gather, which asyncio lacks.
    pub fn cancel_on_error(mut self) -> Gather<T> {
        self.cancel_on_error = true;
        self
    }
}

// Values are never pinned: they are only moved in and out.
impl<T> Unpin for Gather<T> {}

impl<T> Future for Gather<T> {
    type Output = Result<Vec<T>, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        while let Some((i, res)) = std::task::ready!(this.children.poll_next(cx)) {
            match res {
                Ok(v) => this.children.keep(i, v),
                Err(e) => {
                    if this.cancel_on_error {
                        this.children.cancel_rest();
                    } else {
                        this.children.detach_rest();
                    }
                    // The values kept so far are dropped with the gather.
                    return Poll::Ready(Err(e));
                }
            }
        }
        Poll::Ready(Ok(this.children.take_kept()))
    }
}

impl<T> fmt::Debug for Gather<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("children", &self.children.len())
            .field("remaining", &self.children.remaining)
            .field("cancel_on_error", &self.cancel_on_error)
            .finish()
    }
}

/// The future of [`Gather::return_exceptions`]: every outcome, in input
/// order. Dropping it unfinished cancels the unfinished children; polling it
/// again after it returned `Ready` panics.
#[must_use = "futures do nothing unless awaited; dropping a GatherSettled cancels its children"]
pub struct GatherSettled<T> {
    /// Each finished child's outcome is kept in its slot (`children.rs`).
    children: Children<T, Result<T, TaskError>>,
}

impl<T> Unpin for GatherSettled<T> {}

impl<T> Future for GatherSettled<T> {
    type Output = Vec<Result<T, TaskError>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        while let Some((i, res)) = std::task::ready!(this.children.poll_next(cx)) {
            this.children.keep(i, res);
        }
        Poll::Ready(this.children.take_kept())
    }
}

impl<T> fmt::Debug for GatherSettled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherSettled")
            .field("children", &self.children.len())
            .field("remaining", &self.children.remaining)
            .finish()
    }
}

/// Runs each argument as a task (spawned when the macro is evaluated) and
/// resolves to a tuple of their values — asyncio's `gather(a, b, c)` with
/// differently typed results. 0 to 12 arguments; `gather!()` gives `Ok(())`.
///
/// The output is `Result<(A, B, ..), TaskError>`: the first failure is
/// returned at once and the other children keep running, detached, as with
/// [`gather`](fn@crate::gather). Dropping the unfinished future cancels the
/// unfinished children.
///
/// ```
/// corio::run(async {
///     let (n, s) = corio::gather!(async { 6 * 7 }, async { "done" }).await.unwrap();
///     assert_eq!((n, s), (42, "done"));
/// });
/// ```
#[macro_export]
macro_rules! gather {
    () => {
        ::core::future::ready(::core::result::Result::<(), $crate::TaskError>::Ok(()))
    };
    ($($fut:expr),+ $(,)?) => {
        $crate::__private::GatherTuple::new(($($crate::__private::TupleChild::spawn($fut),)+))
    };
}

/// One child of a `gather!`: its task until it finishes, then its value.
#[doc(hidden)]
pub struct TupleChild<T> {
    task: Option<Task<T>>,
    value: Option<T>,
}

// The value is never pinned: it is only moved in and out.
impl<T> Unpin for TupleChild<T> {}

impl<T: Send + 'static> TupleChild<T> {
    #[track_caller]
    pub fn spawn<F: Future<Output = T> + Send + 'static>(f: F) -> TupleChild<T> {
        TupleChild { task: Some(crate::create_task(f)), value: None }
    }
}

impl<T> TupleChild<T> {
    fn poll_child(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), TaskError>> {
        // Finished already: a repeat wake of this child must not count it
        // twice (skip it, as `Children` does).
        let Some(task) = self.task.as_mut() else { return Poll::Pending };
        let res = std::task::ready!(Pin::new(task).poll(cx));
        self.task = None;
        Poll::Ready(res.map(|v| self.value = Some(v)))
    }

    fn take(&mut self) -> T {
        self.value.take().expect("gather! polled after completion")
    }

    fn release(&mut self, cancel: bool) {
        match self.task.take() {
            Some(task) if !cancel => task.detach(),
            _ => {}
        }
    }
}

/// The tuples of [`TupleChild`] a `gather!` can hold.
#[doc(hidden)]
pub trait TupleChildren {
    type Output;
    const LEN: usize;
    fn poll_child(&mut self, index: usize, cx: &mut Context<'_>) -> Poll<Result<(), TaskError>>;
    fn take_output(&mut self) -> Self::Output;
    fn release(&mut self, cancel: bool);
}

macro_rules! impl_tuple_children {
    ($len:expr => $($T:ident $i:tt),+) => {
        impl<$($T),+> TupleChildren for ($(TupleChild<$T>,)+) {
            type Output = ($($T,)+);
            const LEN: usize = $len;

            fn poll_child(&mut self, index: usize, cx: &mut Context<'_>) -> Poll<Result<(), TaskError>> {
                match index {
                    $($i => self.$i.poll_child(cx),)+
                    _ => Poll::Ready(Ok(())),
                }
            }

            fn take_output(&mut self) -> Self::Output {
                ($(self.$i.take(),)+)
            }

            fn release(&mut self, cancel: bool) {
                $(self.$i.release(cancel);)+
            }
        }
    };
}

impl_tuple_children!(1 => A 0);
impl_tuple_children!(2 => A 0, B 1);
impl_tuple_children!(3 => A 0, B 1, C 2);
impl_tuple_children!(4 => A 0, B 1, C 2, D 3);
impl_tuple_children!(5 => A 0, B 1, C 2, D 3, E 4);
impl_tuple_children!(6 => A 0, B 1, C 2, D 3, E 4, F 5);
impl_tuple_children!(7 => A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_tuple_children!(8 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
impl_tuple_children!(9 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
impl_tuple_children!(10 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
impl_tuple_children!(11 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
impl_tuple_children!(12 => A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// The future of `gather!`.
#[doc(hidden)]
#[must_use = "futures do nothing unless awaited; dropping a gather! cancels its children"]
pub struct GatherTuple<C: TupleChildren> {
    children: C,
    ready: ReadySet,
    remaining: usize,
    finished: bool,
    cancel_on_error: bool,
}

impl<C: TupleChildren> GatherTuple<C> {
    pub fn new(children: C) -> GatherTuple<C> {
        GatherTuple {
            children,
            ready: ReadySet::new(C::LEN),
            remaining: C::LEN,
            finished: false,
            cancel_on_error: false,
        }
    }

    /// The first failure cancels the other children instead of leaving them
    /// running, as [`Gather::cancel_on_error`].
    pub fn cancel_on_error(mut self) -> GatherTuple<C> {
        self.cancel_on_error = true;
        self
    }
}

impl<C: TupleChildren + Unpin> Future for GatherTuple<C> {
    type Output = Result<C::Output, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.finished, "gather! polled after completion");
        while this.remaining > 0 {
            let res = std::task::ready!(this.ready.poll_woken(cx, |mut child| {
                let i = child.index();
                child.poll(|cx| this.children.poll_child(i, cx))
            }));
            match res {
                Ok(()) => this.remaining -= 1,
                Err(e) => {
                    this.finished = true;
                    this.children.release(this.cancel_on_error);
                    return Poll::Ready(Err(e));
                }
            }
        }
        this.finished = true;
        Poll::Ready(Ok(this.children.take_output()))
    }
}

impl<C: TupleChildren> Drop for GatherTuple<C> {
    fn drop(&mut self) {
        self.children.release(true);
    }
}

impl<C: TupleChildren> fmt::Debug for GatherTuple<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherTuple").field("children", &C::LEN).field("remaining", &self.remaining).finish()
    }
}

impl<T> fmt::Debug for TupleChild<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TupleChild").field("done", &self.task.is_none()).finish()
    }
}
