//! The one allocation a task lives in.

use std::future::Future;
use std::ptr::NonNull;
use std::task::Waker;

use super::header::{Header, Vtable};
use super::raw::RawTask;
use super::state::State;
use super::{TaskError, TaskId, TaskRef};
use crate::loom::{Mutex, MutexGuard, UnsafeCell};

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
    /// Allocated on first use: most tasks never get a name, a cancel
    /// message or a callback, and should not pay for room for them.
    cold: Mutex<Option<Box<Cold>>>,
}

/// The locked cold data of one task.
pub(crate) struct ColdGuard<'a>(MutexGuard<'a, Option<Box<Cold>>>);

impl ColdGuard<'_> {
    /// The cold data, if any was ever written.
    pub(crate) fn get(&self) -> Option<&Cold> {
        self.0.as_deref()
    }

    /// The cold data, allocated now if this is the first write.
    pub(crate) fn get_mut(&mut self) -> &mut Cold {
        self.0.get_or_insert_with(Box::default)
    }
}

impl Trailer {
    pub(crate) fn cold(&self) -> ColdGuard<'_> {
        ColdGuard(self.cold.lock())
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
        let cell = Box::new(Cell {
            header: Header { state: State::new(state), vtable, id, registry_key: UnsafeCell::new(usize::MAX) },
            core: Core { scheduler, stage: UnsafeCell::new(Stage::Running(future)) },
            trailer: Trailer {
                join_waker: UnsafeCell::new(None),
                cold: Mutex::new(name.map(|name| Box::new(Cold { name: Some(name), ..Cold::default() }))),
            },
        });
        NonNull::from(Box::leak(cell)).cast()
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
        match self.trailer().cold().get().and_then(|c| c.name.as_deref()) {
            Some(name) => name.to_string(),
            None => format!("Task-{}", self.header().id.as_u64()),
        }
    }

    pub(crate) fn set_name(self, name: String) {
        self.trailer().cold().get_mut().name = Some(name.into_boxed_str());
    }

    /// The message a cancellation carries into `TaskError::Cancelled`.
    pub(crate) fn set_cancel_msg(self, msg: String) {
        self.trailer().cold().get_mut().cancel_msg = Some(msg);
    }
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use super::*;

    /// The per-task footprint DESIGN.md budgets for: a task whose future is
    /// 64 bytes must stay small (tokio's cell for the same future is about
    /// 200 bytes). A regression here shows up as RSS per sleeping task.
    #[test]
    fn cell_of_a_64_byte_future_stays_small() {
        struct Future64([u64; 8]);
        impl Future for Future64 {
            type Output = u64;
            fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<u64> {
                std::task::Poll::Ready(self.0[0])
            }
        }
        let size = std::mem::size_of::<Cell<Future64, crate::loom::Arc<()>>>();
        println!("task cell for a 64-byte future: {size} bytes");
        assert!(size <= 144, "task cell grew to {size} bytes (docs/architecture.md says 144)");
    }
}
