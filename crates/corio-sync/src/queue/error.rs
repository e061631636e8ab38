//! The errors of the queue family.

use core::fmt;

/// The queue was shut down (asyncio's `QueueShutDown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueShutDown;

/// Why `put_nowait` did not store the item; the item is handed back.
#[derive(Clone, PartialEq, Eq)]
pub enum PutError<T> {
    /// The queue is at its `maxsize` (asyncio's `QueueFull`).
    Full(T),
    /// The queue was shut down.
    ShutDown(T),
}

/// Why `get_nowait` returned no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetError {
    /// No item is stored (asyncio's `QueueEmpty`).
    Empty,
    /// The queue was shut down and no item is left.
    ShutDown,
}

/// `task_done` was called more times than items were put (asyncio's `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError;

impl<T> PutError<T> {
    /// The item that was not stored.
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(item) | Self::ShutDown(item) => item,
        }
    }
}

impl fmt::Display for QueueShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl std::error::Error for QueueShutDown {}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("queue is full"),
            Self::ShutDown(_) => f.write_str("queue is shut down"),
        }
    }
}

impl<T> std::error::Error for PutError<T> {}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("queue is empty"),
            Self::ShutDown => f.write_str("queue is shut down and empty"),
        }
    }
}

impl std::error::Error for GetError {}

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called more times than there were items")
    }
}

impl std::error::Error for TaskDoneError {}
