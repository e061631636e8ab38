//! [`Event`]: a flag tasks can wait for (asyncio's `Event`).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::loom::Mutex;
use crate::waiters::{WaitList, Waitable, Waiter, WakeList};

/// A flag that starts cleared; [`Event::wait`] waits until it is set.
///
/// A waiter woken by [`Event::set`] returns even if the flag is cleared again before it runs.
///
/// ```
/// # use corio_sync::Event;
/// let ev = Event::new();
/// ev.set();
/// assert!(ev.is_set());
/// ```
pub struct Event {
    state: Mutex<State>,
}

pub(crate) struct State {
    set: bool,
    waiters: WaitList<(), ()>,
}

/// The future of [`Event::wait`].
#[must_use = "futures do nothing unless polled"]
pub struct EventWait<'a> {
    waiter: Waiter<'a, Event>,
}

impl Event {
    /// A cleared event.
    pub fn new() -> Self {
        Self { state: Mutex::new(State { set: false, waiters: WaitList::new() }) }
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        let mut wake = WakeList::new();
        let mut state = self.state.lock();
        state.set = true;
        state.waiters.notify_all(|()| (), &mut wake);
        drop(state);
        wake.wake_all();
    }

    /// Clears the flag; later `wait`s block until the next `set`.
    pub fn clear(&self) {
        self.state.lock().set = false;
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.state.lock().set
    }

    /// Waits until the flag is set (returns at once if it is).
    pub fn wait(&self) -> EventWait<'_> {
        EventWait { waiter: Waiter::new(self) }
    }
}

impl Waitable for Event {
    type State = State;
    type Wait = ();
    type Grant = ();

    fn state(&self) -> &Mutex<State> {
        &self.state
    }

    fn list(state: &mut State) -> &mut WaitList<(), ()> {
        &mut state.waiters
    }

    fn give_back(&self, _: &mut State, _: (), _: &mut WakeList) -> Option<()> {
        // `set` woke every waiter at once: there is nobody to pass this wake-up to.
        None
    }
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.waiter.poll(cx, |s, _| if s.set { Ok(()) } else { Err(()) }, |()| ())
    }
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event").field("set", &self.is_set()).finish()
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait").finish_non_exhaustive()
    }
}
