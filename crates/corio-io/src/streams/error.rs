//! `IncompleteReadError` and `LimitOverrunError`, carried inside
//! `io::Error` so that `err.get_ref().and_then(|e| e.downcast_ref::<…>())`
//! finds them.

use std::fmt;
use std::io;

/// The stream ended before `readexactly`/`readuntil` got what it needed
/// (asyncio's `IncompleteReadError`; io kind `UnexpectedEof`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// What was read before the end (taken out of the reader's buffer).
    pub partial: Vec<u8>,
    /// Bytes `readexactly` wanted; `None` for `readuntil`.
    pub expected: Option<usize>,
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(n) => write!(f, "{} bytes read on a total of {n} expected bytes", self.partial.len()),
            None => write!(f, "{} bytes read on a total of undefined expected bytes", self.partial.len()),
        }
    }
}

impl std::error::Error for IncompleteReadError {}

impl From<IncompleteReadError> for io::Error {
    fn from(e: IncompleteReadError) -> io::Error {
        io::Error::new(io::ErrorKind::UnexpectedEof, e)
    }
}

/// The reader's limit was reached while looking for a separator (asyncio's
/// `LimitOverrunError`; io kind `InvalidData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrunError {
    /// Bytes that would have had to be consumed to find the separator.
    pub consumed: usize,
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "separator not found within the reader's limit (consumed {} bytes)", self.consumed)
    }
}

impl std::error::Error for LimitOverrunError {}

impl From<LimitOverrunError> for io::Error {
    fn from(e: LimitOverrunError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}
