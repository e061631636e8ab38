//! How a task can fail.

use std::any::Any;
use std::fmt;

/// Why awaiting a [`Task`](crate::Task) gave no value — asyncio's
/// `CancelledError`, an exception escaping the task, or `InvalidStateError`.
#[derive(Debug)]
pub enum TaskError {
    /// The task was cancelled (with the message given to `cancel_with`, if any).
    Cancelled(Option<String>),
    /// The task panicked; the payload is inside.
    Panicked(PanicPayload),
    /// The result was asked for before the task finished, or taken already.
    InvalidState,
}

impl TaskError {
    /// `true` for [`TaskError::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled(_))
    }

    /// `true` for [`TaskError::Panicked`].
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }

    /// The panic payload, to resume the panic with
    /// [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If this error is not a panic.
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        match self {
            TaskError::Panicked(p) => p.into_inner(),
            other => panic!("TaskError::into_panic called on a non-panic error: {other}"),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled(None) => f.write_str("task was cancelled"),
            TaskError::Cancelled(Some(msg)) => write!(f, "task was cancelled: {msg}"),
            TaskError::Panicked(p) => match p.message() {
                Some(msg) => write!(f, "task panicked: {msg}"),
                None => f.write_str("task panicked"),
            },
            TaskError::InvalidState => f.write_str("task result is not available (not done, or already taken)"),
        }
    }
}

impl std::error::Error for TaskError {}

impl From<TaskError> for std::io::Error {
    fn from(e: TaskError) -> std::io::Error {
        std::io::Error::other(e)
    }
}

/// The payload of a panic caught in a task. `Send + Sync`, so a
/// [`TaskError`] can cross threads and be boxed as an error.
pub struct PanicPayload(Box<PanicInner>);

// Boxed so that a `TaskError` (and with it every task's output slot) stays
// small: panics are rare, outputs are not.
struct PanicInner {
    payload: Box<dyn Any + Send>,
    message: Option<String>,
}

// SAFETY: `Box<dyn Any + Send>` is not `Sync`, but no method of
// `PanicPayload` gives shared (`&self`) access to the payload: it is only
// moved out by `into_inner(self)`. Through `&PanicPayload` one reaches only
// the message, a `String`, which is `Sync`.
unsafe impl Sync for PanicPayload {}

impl PanicPayload {
    pub(crate) fn new(payload: Box<dyn Any + Send>) -> PanicPayload {
        let message = panic_message(&*payload);
        PanicPayload(Box::new(PanicInner { payload, message }))
    }

    /// The panic message, if the payload was a `&str` or a `String`.
    pub fn message(&self) -> Option<String> {
        self.0.message.clone()
    }

    /// The original payload.
    pub fn into_inner(self) -> Box<dyn Any + Send> {
        self.0.payload
    }
}

impl fmt::Debug for PanicPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicPayload").field("message", &self.0.message).finish()
    }
}

/// The message of a panic payload, if it is a `&str` or a `String` (for
/// corio's crates that catch panics and report them).
#[doc(hidden)]
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some((*s).to_string())
    } else {
        payload.downcast_ref::<String>().cloned()
    }
}
