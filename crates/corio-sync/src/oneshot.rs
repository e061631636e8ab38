//! A single-use channel: one value from one [`Sender`] to one [`Receiver`].
//!
//! ```
//! let (tx, rx) = corio_sync::oneshot::channel();
//! std::thread::spawn(move || tx.send(42).unwrap());
//! assert_eq!(rx.recv_blocking(), Ok(42));
//! ```
//!
//! # Protocol
//!
//! The two halves share one allocation holding a state word, the value cell and one waker slot
//! per side. The state word has four bits:
//!
//! | bit           | set by                                   | cleared by                      |
//! |---------------|------------------------------------------|---------------------------------|
//! | `RX_TASK_SET` | receiver, after writing `rx_waker`       | receiver, before rewriting it   |
//! | `COMPLETE`    | sender: value written, or sender dropped | never                           |
//! | `CLOSED`      | receiver: dropped                        | never                           |
//! | `TX_TASK_SET` | sender, after writing `tx_waker`         | sender, before rewriting it     |
//!
//! Rules (the `SAFETY` comments below cite them):
//!
//! 1. The sender owns the value cell until it sets `COMPLETE`; from then on the receiver owns it.
//!    `COMPLETE` is never set once `CLOSED` is set, so after a failed completion the sender
//!    still owns the cell and takes its value back.
//! 2. `rx_waker` is written only by the receiver, and only while `RX_TASK_SET` is clear. While
//!    `RX_TASK_SET` is set the sender may read it (to wake), so the receiver never writes it
//!    then. The receiver clears the bit, then writes, then sets the bit.
//! 3. The same holds for `tx_waker`, `TX_TASK_SET` and the roles swapped.
//! 4. Whoever sets `COMPLETE` (resp. `CLOSED`) wakes the other side if its task bit was set in
//!    the state it replaced. A side that re-registers checks the state it got back from setting
//!    its task bit, so a completion racing a registration is never missed.
//! 5. The shared allocation is freed by the last `Arc`, which drops whatever value and wakers
//!    are still in the cells (no other handle exists then).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::loom::{Arc, AtomicUsize, Ordering, UnsafeCell};

const RX_TASK_SET: usize = 0b0001;
const COMPLETE: usize = 0b0010;
const CLOSED: usize = 0b0100;
const TX_TASK_SET: usize = 0b1000;

/// Creates a oneshot channel: the [`Sender`] sends at most one value to the [`Receiver`].
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Channel {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (Sender { inner: Some(inner.clone()) }, Receiver { inner: Some(inner) })
}

/// The sending half of a [`channel`].
pub struct Sender<T> {
    inner: Option<Arc<Channel<T>>>,
}

/// The receiving half of a [`channel`]; awaiting it gives the value.
///
/// Dropping the receiver closes the channel: a later [`Sender::send`] hands the value back.
pub struct Receiver<T> {
    inner: Option<Arc<Channel<T>>>,
}

/// The sender was dropped without sending a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError;

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No value yet; the sender is still alive.
    Empty,
    /// The sender was dropped without sending, or the value was already taken.
    Closed,
}

struct Channel<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
    tx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cells are accessed only as rules 1-3 allow, so a `T` moves between threads at most
// once (needs `T: Send`) and is never shared; wakers are `Send + Sync`.
unsafe impl<T: Send> Send for Channel<T> {}
// SAFETY: as above; `&Channel` gives no shared access to a `T`.
unsafe impl<T: Send> Sync for Channel<T> {}

impl<T> Channel<T> {
    /// Sets `COMPLETE` unless `CLOSED` is set; returns whether it did (rule 1) and wakes the
    /// receiver (rule 4).
    fn complete(&self) -> bool {
        // ORDERING: Relaxed: only a starting guess for the CAS below, which does the pairing;
        // seeing CLOSED needs no data from the receiver (the cell stays ours, rule 1).
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & CLOSED != 0 {
                return false;
            }
            // ORDERING: Release publishes the value written before (rule 1) to the receiver's
            // Acquire loads; Acquire pairs with the receiver's AcqRel `RX_TASK_SET` update so
            // its waker write is visible before we read it below. The failure ordering is
            // Relaxed for the same reason as the first load.
            match self.state.compare_exchange_weak(state, state | COMPLETE, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_TASK_SET != 0 {
            // SAFETY: rule 2: `RX_TASK_SET` was set, so the receiver does not write the slot
            // until it clears the bit, and then sees `COMPLETE` and leaves the slot alone.
            self.rx_waker.with(|w| unsafe { wake_slot(w) });
        }
        true
    }

    /// Takes the value; `None` if the sender dropped without sending or it was taken.
    ///
    /// # Safety
    /// - `COMPLETE` must have been observed with Acquire ordering by the caller (rule 1), and
    ///   the caller must be the receiver.
    unsafe fn take_value(&self) -> Option<T> {
        // SAFETY: the caller owns the cell (rule 1).
        self.value.with_mut(|v| unsafe { (*v).take() })
    }

    /// Receiver side of a poll.
    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        // ORDERING: Acquire pairs with the Release of `complete` (the value write).
        let state = self.state.load(Ordering::Acquire);
        if state & COMPLETE != 0 {
            // SAFETY: rule 1: COMPLETE observed with Acquire; we are the receiver.
            return Poll::Ready(unsafe { self.take_value() }.ok_or(RecvError));
        }
        // SAFETY: we are the receiver; the bits and slot are the receiver's (rule 2).
        match unsafe { register(&self.state, &self.rx_waker, RX_TASK_SET, COMPLETE, cx) } {
            // SAFETY: rule 1: `register` observed COMPLETE with Acquire ordering.
            true => Poll::Ready(unsafe { self.take_value() }.ok_or(RecvError)),
            false => Poll::Pending,
        }
    }

    /// Sender side of `closed()`.
    fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<()> {
        // ORDERING: Acquire pairs with the receiver's AcqRel `CLOSED` set; nothing is read
        // after it but the bit itself.
        if self.state.load(Ordering::Acquire) & CLOSED != 0 {
            return Poll::Ready(());
        }
        // SAFETY: we are the sender; the bits and slot are the sender's (rule 3).
        match unsafe { register(&self.state, &self.tx_waker, TX_TASK_SET, CLOSED, cx) } {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    }
}

/// Stores `cx`'s waker in `slot` and sets `bit` unless `done` is already set; returns whether
/// `done` was seen (rules 2-4).
///
/// # Safety
/// - Only the side owning `slot` and `bit` may call this, never concurrently with itself.
unsafe fn register(
    state: &AtomicUsize,
    slot: &UnsafeCell<Option<Waker>>,
    bit: usize,
    done: usize,
    cx: &mut Context<'_>,
) -> bool {
    // ORDERING: Relaxed: only our own side writes `bit`, so this load just reads back our write.
    if state.load(Ordering::Relaxed) & bit != 0 {
        // SAFETY: the bit is set, so the other side only reads the slot (rules 2, 3).
        let same = slot.with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(cx.waker())) });
        if same {
            return false;
        }
        // ORDERING: AcqRel: Acquire sees `done` published by the other side; Release is not
        // needed but loom has no fence support to split them.
        let prev = state.fetch_and(!bit, Ordering::AcqRel);
        if prev & done != 0 {
            // The stale waker stays in the slot; `Channel`'s drop frees it (rule 5).
            return true;
        }
    }
    // SAFETY: the bit is clear, so the other side does not touch the slot (rules 2, 3).
    slot.with_mut(|w| unsafe { *w = Some(cx.waker().clone()) });
    // ORDERING: Release publishes the slot write to the other side's Acquire (in `complete` /
    // `Receiver::drop`); Acquire sees the value if `done` is already set.
    let prev = state.fetch_or(bit, Ordering::AcqRel);
    prev & done != 0
}

/// Wakes the waker in a slot without taking it.
///
/// # Safety
/// - The slot must not be written concurrently (rules 2, 3).
unsafe fn wake_slot(slot: *const Option<Waker>) {
    // SAFETY: the caller guarantees no concurrent write (rules 2, 3).
    if let Some(w) = unsafe { &*slot } {
        w.wake_by_ref();
    }
}

impl<T> Sender<T> {
    /// Sends `value`; hands it back as `Err(value)` if the receiver is already gone.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("Sender used after send");
        // SAFETY: rule 1: COMPLETE is not set (only this sender sets it, once), so we own the cell.
        inner.value.with_mut(|v| unsafe { *v = Some(value) });
        if inner.complete() {
            return Ok(());
        }
        // SAFETY: rule 1: completion failed because CLOSED is set, so the cell stays ours.
        let value = inner.value.with_mut(|v| unsafe { (*v).take() });
        Err(value.expect("value written above"))
    }

    /// Whether the receiver has been dropped (a `send` now would fail).
    pub fn is_closed(&self) -> bool {
        let inner = self.inner.as_ref().expect("Sender used after send");
        // ORDERING: Acquire pairs with the receiver's `CLOSED` set; only the bit is read.
        inner.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Waits until the receiver is dropped (for example to stop computing a value nobody
    /// wants any more).
    pub async fn closed(&mut self) {
        let inner = self.inner.as_ref().expect("Sender used after send");
        core::future::poll_fn(|cx| inner.poll_closed(cx)).await;
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Dropped without sending: completing with an empty cell tells the receiver.
            inner.complete();
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = self.inner.as_ref() else {
            return Err(TryRecvError::Closed);
        };
        // ORDERING: Acquire pairs with the Release of `complete` (the value write).
        if inner.state.load(Ordering::Acquire) & COMPLETE == 0 {
            return Err(TryRecvError::Empty);
        }
        // SAFETY: rule 1: COMPLETE observed with Acquire; we are the receiver.
        let value = unsafe { inner.take_value() };
        self.inner = None;
        value.ok_or(TryRecvError::Closed)
    }

    /// Blocks the calling thread until the value arrives (for threads outside any runtime).
    pub fn recv_blocking(mut self) -> Result<T, RecvError> {
        let waker = Waker::from(std::sync::Arc::new(ThreadWaker(crate::loom::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(r) = Pin::new(&mut self).poll(&mut cx) {
                return r;
            }
            crate::loom::thread::park();
        }
    }
}

/// Wakes a parked thread.
struct ThreadWaker(crate::loom::thread::Thread);

impl std::task::Wake for ThreadWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_ref().expect("oneshot Receiver polled after completion");
        let out = core::task::ready!(inner.poll_recv(cx));
        self.inner = None;
        Poll::Ready(out)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        // ORDERING: AcqRel: Acquire sees the sender's `tx_waker` write (its Release when
        // setting `TX_TASK_SET`) and the value (`complete`'s Release) before we read them.
        let prev = inner.state.fetch_or(CLOSED, Ordering::AcqRel);
        if prev & COMPLETE != 0 {
            // SAFETY: rule 1: COMPLETE observed with Acquire; we are the receiver. Drop the value now
            // rather than when the sender's Arc goes.
            drop(unsafe { inner.take_value() });
        } else if prev & TX_TASK_SET != 0 {
            // SAFETY: rule 3: TX_TASK_SET is set, so the sender does not write the slot.
            inner.tx_waker.with(|w| unsafe { wake_slot(w) });
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot sender dropped without sending a value")
    }
}

impl std::error::Error for RecvError {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("oneshot channel is empty"),
            Self::Closed => f.write_str("oneshot channel is closed"),
        }
    }
}

impl std::error::Error for TryRecvError {}
