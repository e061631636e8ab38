//! The one allocation a task lives in.

use std::future::Future;
use std::ptr::{self, NonNull};
use std::task::Waker;

use super::header::{Header, Vtable};
use super::raw::RawTask;
use super::state::State;
use super::{TaskError, TaskId, TaskRef};
use crate::loom::{AtomicPtr, Mutex, MutexGuard, Ordering, UnsafeCell};

/// Where the future is, then its output.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, TaskError>),
    Consumed,
}

pub(crate) struct Core<F: Future, S> {
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

/// A done callback, as stored.
pub(crate) type Callback = Box<dyn FnOnce(&TaskRef) + Send>;

/// Rarely touched task data, behind one lock.
#[derive(Default)]
pub(crate) struct Cold {
    pub(crate) name: Option<Box<str>>,
    pub(crate) cancel_msg: Option<String>,
    pub(crate) callbacks: std::collections::VecDeque<(u64, Callback)>,
    /// Rule 8: the task is done and its callbacks may run.
    pub(crate) fired: bool,
    /// Rule 8: a drainer job is queued or running.
    pub(crate) draining: bool,
    /// Debug mode only (API.md §13): age, polls, busy time, spawner.
    pub(crate) debug: Option<Box<super::debug_info::TaskDebug>>,
    /// `tracing` feature only: the task's span, entered around each poll.
    #[cfg(feature = "tracing")]
    pub(crate) span: Option<tracing::Span>,
}

pub(crate) struct Trailer {
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
    /// The cold data, allocated on first use (most tasks never get a name, a
    /// cancel message or a callback, and should not pay for room for them)
    /// and then never moved or freed until the cell is: null, or a
    /// `Box<Mutex<Cold>>` published once by [`Trailer::cold_mut`]'s CAS.
    /// One word, where a lock around an `Option<Box<_>>` took two.
    cold: AtomicPtr<Mutex<Cold>>,
}

impl Trailer {
    /// A trailer whose cold part exists from the start only if there is a name to keep.
    fn new(name: Option<Box<str>>) -> Trailer {
        let cold = name.map_or(ptr::null_mut(), |name| {
            Box::into_raw(Box::new(Mutex::new(Cold { name: Some(name), ..Cold::default() })))
        });
        Trailer { join_waker: UnsafeCell::new(None), cold: AtomicPtr::new(cold) }
    }

    /// The cold data, locked, if any was ever written.
    pub(crate) fn cold(&self) -> Option<MutexGuard<'_, Cold>> {
        // ORDERING: Acquire pairs with the Release of the CAS that published
        // the box, so its initial contents are visible.
        let cold = self.cold.load(Ordering::Acquire);
        // SAFETY: a non-null pointer is a box published once and freed only
        // when the cell is (`Drop`), which outlives `&self`.
        (!cold.is_null()).then(|| unsafe { &*cold }.lock())
    }

    /// The cold data, locked, allocated now if this is the first write.
    pub(crate) fn cold_mut(&self) -> MutexGuard<'_, Cold> {
        // ORDERING: Acquire as in `cold`.
        let mut cold = self.cold.load(Ordering::Acquire);
        if cold.is_null() {
            cold = self.publish_cold();
        }
        // SAFETY: as in `cold`.
        unsafe { &*cold }.lock()
    }

    /// Allocates the cold box and publishes it, unless another thread's
    /// publication wins the race; returns the published one.
    #[cold]
    fn publish_cold(&self) -> *mut Mutex<Cold> {
        let ours = Box::into_raw(Box::default());
        // ORDERING: Release publishes the box's contents (pairs with the
        // loads' Acquire); Acquire on failure sees the winner's.
        match self.cold.compare_exchange(ptr::null_mut(), ours, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => ours,
            Err(winner) => {
                // SAFETY: `ours` was never published: this thread owns it.
                drop(unsafe { Box::from_raw(ours) });
                winner
            }
        }
    }
}

impl Drop for Trailer {
    fn drop(&mut self) {
        // ORDERING: Acquire: the cell is being freed by its last reference,
        // whose release already ordered every use; Acquire also covers the
        // publication itself.
        let cold = self.cold.load(Ordering::Acquire);
        if !cold.is_null() {
            // SAFETY: published once by `Box::into_raw` and freed only here,
            // by the cell's owner (`&mut self`).
            drop(unsafe { Box::from_raw(cold) });
        }
    }
}

#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) core: Core<F, S>,
    pub(crate) trailer: Trailer,
}

impl<F, S> Cell<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// Allocates a cell and returns a pointer to its header. `vtable` must
    /// be the one for `Cell<F, S>` (`harness::allocate` passes it).
    pub(crate) fn allocate(
        future: F,
        scheduler: S,
        id: TaskId,
        name: Option<Box<str>>,
        state: usize,
        vtable: &'static Vtable,
    ) -> NonNull<Header> {
        // Allocate first, then write each part in place: `Box::new(Cell { .. })` built the
        // whole cell on the stack and copied it over after `malloc`, and the copy's 16-byte
        // loads of fields just written 8 bytes at a time stalled on store forwarding (perf:
        // a fifth of `chained_spawn`'s samples, in `allocate`).
        // The memory comes from this worker's cache of freed cells when it has one of this
        // layout (`cache.rs`), else from the allocator; `harness::dealloc` gives it back.
        let p = super::cache::allocate(std::alloc::Layout::new::<Self>()).cast::<Self>().as_ptr();
        // SAFETY: `p` is an allocation sized and aligned for a `Cell<F, S>`, ours alone; each
        // field is written once, through raw pointers (no reference to uninit memory).
        unsafe {
            (&raw mut (*p).header).write(Header {
                state: State::new(state),
                vtable,
                id,
                registry_key: UnsafeCell::new(usize::MAX),
            });
            (&raw mut (*p).core).write(Core { scheduler, stage: UnsafeCell::new(Stage::Running(future)) });
            (&raw mut (*p).trailer).write(Trailer::new(name));
        }
        // SAFETY: `p` came from a `NonNull`; every field was written just above.
        unsafe { NonNull::new_unchecked(p) }.cast()
    }
}

impl Header {
    /// The trailer of the cell this header starts.
    #[inline]
    pub(crate) fn trailer(&self) -> &Trailer {
        let base = (self as *const Header).cast::<u8>();
        // SAFETY: rule 9: every header is the first field of a `#[repr(C)]` `Cell`
        // whose trailer sits `trailer_offset` bytes further (computed by
        // `offset_of!` for that very cell type in `harness::vtable`), and the
        // cell lives as long as the reference `self` came from (rule 9).
        unsafe { &*base.add(self.vtable.trailer_offset).cast::<Trailer>() }
    }
}

/// The cold part, reached from an untyped pointer.
impl RawTask {
    #[inline]
    pub(crate) fn trailer(&self) -> &Trailer {
        self.header().trailer()
    }

    /// The task's name: the one given, or `Task-N`.
    pub(crate) fn name(self) -> String {
        match self.trailer().cold().and_then(|c| c.name.as_deref().map(str::to_string)) {
            Some(name) => name,
            None => format!("Task-{}", self.header().id.as_u64()),
        }
    }

    pub(crate) fn set_name(self, name: String) {
        self.trailer().cold_mut().name = Some(name.into_boxed_str());
    }

    /// The message a cancellation carries into `TaskError::Cancelled`.
    pub(crate) fn set_cancel_msg(self, msg: String) {
        self.trailer().cold_mut().cancel_msg = Some(msg);
    }
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use super::*;

    struct Words<const N: usize>([u64; N]);
    impl<const N: usize> Future for Words<N> {
        type Output = u64;
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<u64> {
            std::task::Poll::Ready(self.0[0])
        }
    }

    /// The per-task footprint DESIGN.md budgets for: a task whose future is
    /// 64 bytes must stay small (tokio's cell for the same future is about
    /// 200 bytes). A regression here shows up as RSS per sleeping task.
    #[test]
    fn cell_of_a_64_byte_future_stays_small() {
        let size = std::mem::size_of::<Cell<Words<8>, crate::loom::Arc<()>>>();
        println!("task cell for a 64-byte future: {size} bytes");
        assert!(size <= 136, "task cell grew to {size} bytes (docs/architecture.md says 136)");
    }

    /// The memory row's idle task (a 32-byte future): 104 bytes is what
    /// glibc serves from a 112-byte chunk; 8 more would take a 128-byte one.
    #[test]
    fn cell_of_a_32_byte_future_fits_a_112_byte_chunk() {
        let size = std::mem::size_of::<Cell<Words<4>, crate::loom::Arc<()>>>();
        assert!(size <= 104, "task cell for a 32-byte future grew to {size} bytes");
    }

    /// The cold part is allocated by its first writer only, and a name given
    /// at spawn is there from the start.
    #[test]
    fn cold_data_is_allocated_on_first_write() {
        let trailer = Trailer::new(None);
        assert!(trailer.cold().is_none());
        trailer.cold_mut().cancel_msg = Some("why".into());
        assert_eq!(trailer.cold().unwrap().cancel_msg.as_deref(), Some("why"));
        let named = Trailer::new(Some("n".into()));
        assert_eq!(named.cold().unwrap().name.as_deref(), Some("n"));
    }
}
