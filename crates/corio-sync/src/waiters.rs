//! The waiter list every primitive of this crate queues its waiters on.
//!
//! A [`WaitList`] lives inside a primitive's state, behind that primitive's (short, never held
//! across an `.await`) internal mutex. A waiting future owns an [`Entry`] for its node through a
//! [`Waiter`], which is where the cancel-safety logic lives, once for every primitive.
//!
//! The nodes live in an arena the list owns: pages that never move, so a node's address is
//! stable for the list's lifetime. That lets a waiter collect what it was handed with one atomic
//! load on its node, without taking the primitive's lock again, while the futures stay `Unpin`
//! (the node is not inside them) and the nodes of one primitive stay close together in memory.
//!
//! # Protocol
//!
//! A node's `state` is one of:
//!
//! | state      | the node is                                       | its `data` belongs to  |
//! |------------|---------------------------------------------------|------------------------|
//! | `VACANT`   | free, holds nothing                               | the lock               |
//! | `WAITING`  | linked in the queue, holds the request `W`        | the lock               |
//! | `NOTIFIED` | unlinked, holds the grant `G`                     | its waiter             |
//! | `POISONED` | unlinked, its request was lost to a user panic    | its waiter             |
//!
//! A node's `links` (queue and free-list pointers) are only ever touched under the lock.
//!
//! 1. An entry is created by its waiter (`push_back`, under the lock) and its node is given back
//!    only through that entry: when the waiter collects its grant, or when it is dropped
//!    (`cancel`). A notifier never makes a node reusable, so an entry's node is never reused
//!    while its waiter holds it.
//! 2. A notifier (under the lock) unlinks the head, moves the grant into its `data`, takes its
//!    waker, puts the node on the free list, and last publishes `NOTIFIED` with `Release`. A
//!    node on the free list is reused only once it is seen `VACANT` (with `Acquire`).
//! 3. The waiter reads its node's state with `Acquire`. On `NOTIFIED` the grant is its own: it
//!    takes it without the lock and publishes `VACANT` with `Release`, after which it never
//!    touches the node again. So a concurrent `try_*` cannot take a grant, and a waiter woken
//!    with one collects it without contending for the lock.
//! 4. A waiter dropped while waiting is unlinked; the primitive is told ([`Waitable::left`])
//!    because the head leaving may let the next waiter through.
//! 5. A waiter dropped while notified returns its grant to the primitive
//!    ([`Waitable::give_back`]), which passes it on to the next waiter or takes it back. So a
//!    wake-up, permit or item is never lost by cancellation.
//! 6. Wakers are collected into a [`WakeList`] under the lock and woken after it is released,
//!    each behind `catch_unwind`: a panicking foreign waker is reported on stderr and the others
//!    are still woken.
//! 7. If turning a request into a grant panics (user code: a `PriorityQueue` item's `Ord` while a
//!    getter refills from a blocked putter), the node is still unlinked, marked `POISONED` and
//!    its waiter woken; its next poll panics with a message that names the cause, and the list
//!    stays consistent for every other waiter.

use core::fmt;
use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use core::task::{Context, Poll, Waker};

use crate::loom::{AtomicUsize, Mutex, Ordering, UnsafeCell};

const VACANT: usize = 0;
const WAITING: usize = 1;
const NOTIFIED: usize = 2;
const POISONED: usize = 3;

/// Nodes in the arena's first page; each later page doubles the total.
const FIRST_PAGE: usize = 4;

/// How many free nodes a push always may look at for a vacant one before taking a fresh node.
const ALLOC_SCAN: usize = 8;

/// Scan credit each push earns: how many free nodes beyond [`ALLOC_SCAN`] later pushes may
/// look at (banked up to the free list's length).
const SCAN_CREDIT: usize = 4;

/// What a node holds (protocol table above).
enum Value<W, G> {
    Empty,
    Waiting(W),
    Granted(G),
}

/// The part of a node that follows the protocol's ownership column.
struct Data<W, G> {
    waker: Option<Waker>,
    value: Value<W, G>,
}

/// Queue links while `WAITING`; `next` is the free-list link while on the free list.
struct Links<W, G> {
    prev: *const Node<W, G>,
    next: *const Node<W, G>,
}

/// Not padded to a cache line: 48 bytes for a unit request and grant (`Event`, `Notify`,
/// `Mutex`), where padding made every parked waiter cost 64. Padding was measured to make no
/// difference to the `channel`, `mutex` or `semaphore` rows (docs/sync.md).
struct Node<W, G> {
    /// `VACANT`, `WAITING`, `NOTIFIED` or `POISONED` (protocol above).
    state: AtomicUsize,
    links: UnsafeCell<Links<W, G>>,
    data: UnsafeCell<Data<W, G>>,
}

impl<W, G> Node<W, G> {
    fn new() -> Self {
        Self {
            state: AtomicUsize::new(VACANT),
            links: UnsafeCell::new(Links { prev: ptr::null(), next: ptr::null() }),
            data: UnsafeCell::new(Data { waker: None, value: Value::Empty }),
        }
    }
}

/// A waiter's handle to its node (rule 1). Not `Clone`: the one handle is consumed when the
/// node is given back.
pub(crate) struct Entry<W, G>(NonNull<Node<W, G>>);

// SAFETY: an entry is a pointer into its list's arena; through it the waiter takes its grant
// (rule 3) or, under the lock, its request: both may move to another thread (`W, G: Send`).
unsafe impl<W: Send, G: Send> Send for Entry<W, G> {}
// SAFETY: `&Entry` offers nothing (every operation takes the entry by value or `&mut`).
unsafe impl<W: Send, G: Send> Sync for Entry<W, G> {}

impl<W, G> Entry<W, G> {
    /// Rule 3: the grant, without the lock, if this entry was notified; `Err(self)` otherwise.
    ///
    /// # Panics
    /// If the request was lost to a panic in user code (rule 7).
    ///
    /// # Safety
    /// The list that made this entry is still alive.
    pub(crate) unsafe fn try_collect(self) -> Result<G, Self> {
        // SAFETY: the arena outlives the entry (caller), and a node is only reused once we
        // publish `VACANT` (rule 2), which happens below, as our last access.
        let node = unsafe { self.0.as_ref() };
        // ORDERING: Acquire pairs with the notifier's Release (rule 3).
        match node.state.load(Ordering::Acquire) {
            // SAFETY: we saw `NOTIFIED` with Acquire: `data` is ours alone (rule 3).
            NOTIFIED => Ok(unsafe { vacate_granted(node) }),
            POISONED => {
                // ORDERING: Release hands the node back to the list (rule 2).
                node.state.store(VACANT, Ordering::Release);
                panic!(
                    "user code (e.g. a PriorityQueue item's `Ord`) panicked while this queued request was being served; whether it took effect is unknown"
                )
            }
            _ => Err(self),
        }
    }
}

impl<W, G> fmt::Debug for Entry<W, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Entry").field(&self.0).finish()
    }
}

/// Takes the grant of a node seen `NOTIFIED` and hands the node back (rule 3).
///
/// # Safety
/// The caller is the node's waiter and loaded `NOTIFIED` with `Acquire`.
unsafe fn vacate_granted<W, G>(node: &Node<W, G>) -> G {
    // SAFETY: the caller's contract: the notifier's last access happened before its Release.
    let value = node.data.with_mut(|d| unsafe { core::mem::replace(&mut (*d).value, Value::Empty) });
    // ORDERING: Release: our read of `data` happens before the list reuses the node (rule 2).
    node.state.store(VACANT, Ordering::Release);
    match value {
        Value::Granted(g) => g,
        _ => unreachable!("a notified waiter node holds no grant"),
    }
}

/// What a cancelled entry held (rules 4 and 5).
#[must_use]
pub(crate) enum Removed<W, G> {
    /// The waiter was still queued with this request.
    Waiting(W),
    /// The waiter had been handed this grant.
    Notified(G),
    /// The request was lost to a panic in user code (rule 7).
    Lost,
}

/// A FIFO list of waiters: O(1) push, notify and cancel; nodes in a stable arena.
pub(crate) struct WaitList<W, G> {
    /// The arena: pages never move or shrink while the list lives.
    pages: Vec<Box<[Node<W, G>]>>,
    /// Nodes of the last page not handed out yet.
    fresh: usize,
    head: *const Node<W, G>,
    tail: *const Node<W, G>,
    free_head: *const Node<W, G>,
    free_tail: *const Node<W, G>,
    /// Nodes on the free list (some may still await their waiter's collection).
    free_len: usize,
    /// Banked scan steps beyond `ALLOC_SCAN` (see `alloc`).
    scan_credit: usize,
    waiting: usize,
}

// SAFETY: the list owns its nodes and is only reached under its primitive's lock; it moves
// requests, grants and wakers between threads, which `W: Send` and `G: Send` allow.
unsafe impl<W: Send, G: Send> Send for WaitList<W, G> {}

impl<W, G> WaitList<W, G> {
    /// An empty list (does not allocate).
    pub(crate) const fn new() -> Self {
        Self {
            pages: Vec::new(),
            fresh: 0,
            head: ptr::null(),
            tail: ptr::null(),
            free_head: ptr::null(),
            free_tail: ptr::null(),
            free_len: 0,
            scan_credit: 0,
            waiting: 0,
        }
    }

    /// Whether no entry is waiting (notified entries do not count).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting == 0
    }

    /// How many entries are waiting.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.waiting
    }

    /// Queues a new waiting entry at the back.
    pub(crate) fn push_back(&mut self, wait: W, waker: Option<Waker>) -> Entry<W, G> {
        let node = self.alloc();
        let n = node_ref(node);
        // SAFETY: a vacant node's cells belong to the lock we hold (rule 2).
        n.data.with_mut(|d| unsafe { *d = Data { waker, value: Value::Waiting(wait) } });
        let tail = self.tail;
        // SAFETY: links are only touched under the lock, which we hold.
        n.links.with_mut(|l| unsafe { *l = Links { prev: tail, next: ptr::null() } });
        match tail.is_null() {
            true => self.head = node,
            false => set_next(tail, node),
        }
        self.tail = node;
        self.waiting += 1;
        // ORDERING: read by the waiter (its own write) or under the lock; nothing is published.
        n.state.store(WAITING, Ordering::Relaxed);
        Entry(NonNull::from(n))
    }

    /// The request of the first waiting entry.
    #[inline]
    pub(crate) fn front(&self) -> Option<&W> {
        if self.head.is_null() {
            return None;
        }
        // SAFETY: `&self` means we hold the lock, which owns a waiting node's data; the borrow
        // ends before the lock can be released.
        let value = node_ref(self.head).data.with(|d| unsafe { &(*d).value });
        match value {
            Value::Waiting(w) => Some(w),
            _ => None,
        }
    }

    /// Notifies the first waiting entry with `grant(request)`; `false` if none waits (rule 2).
    #[inline]
    pub(crate) fn notify_front(&mut self, grant: impl FnOnce(W) -> G, wake: &mut WakeList) -> bool {
        self.try_notify_front(|w| Ok(grant(w)), wake)
    }

    /// Like [`WaitList::notify_front`], but `grant` may refuse by handing the request back
    /// (`Err`), which leaves the entry waiting at the front; `false` then too.
    pub(crate) fn try_notify_front(&mut self, grant: impl FnOnce(W) -> Result<G, W>, wake: &mut WakeList) -> bool {
        let head = self.head;
        if head.is_null() {
            return false;
        }
        let n = node_ref(head);
        // SAFETY: a waiting node's data belongs to the lock we hold.
        let wait = n.data.with_mut(|d| match unsafe { core::mem::replace(&mut (*d).value, Value::Empty) } {
            Value::Waiting(w) => w,
            _ => unreachable!("a waiting node holds no request"),
        });
        // The node stays linked while user code in `grant` runs: a panic poisons it (rule 7).
        let guard = PoisonOnUnwind { list: self, node: head, wake };
        let granted = grant(wait);
        core::mem::forget(guard);
        let granted = match granted {
            Ok(g) => g,
            Err(wait) => {
                // SAFETY: still waiting and linked: its data belongs to the lock we hold.
                n.data.with_mut(|d| unsafe { (*d).value = Value::Waiting(wait) });
                return false;
            }
        };
        self.unlink(head);
        // SAFETY: as above; this is the notifier's last access to `data` (rule 2).
        let waker = n.data.with_mut(|d| unsafe {
            (*d).value = Value::Granted(granted);
            (*d).waker.take()
        });
        if let Some(w) = waker {
            wake.push(w);
        }
        self.release(head);
        // ORDERING: Release publishes the grant to the waiter's Acquire (rule 3). The waiter may
        // hand the node back right after: nothing below touches it.
        n.state.store(NOTIFIED, Ordering::Release);
        true
    }

    /// Notifies every waiting entry, in FIFO order; returns how many.
    pub(crate) fn notify_all(&mut self, mut grant: impl FnMut(W) -> G, wake: &mut WakeList) -> usize {
        let mut n = 0;
        while self.notify_front(&mut grant, wake) {
            n += 1;
        }
        n
    }

    /// The waiter's poll under the lock: its grant if notified (taking the entry out of `slot`
    /// and giving the node back), else stores the new waker. The entry is back in `slot` before
    /// any waker code runs, so a panicking waker `clone` leaves it for the waiter's `Drop`.
    ///
    /// # Safety
    /// `slot` holds an entry made by this list's `push_back`.
    pub(crate) unsafe fn poll(&mut self, slot: &mut Option<Entry<W, G>>, cx: &Context<'_>) -> Option<G> {
        let entry = slot.take().expect("WaitList::poll without an entry");
        // SAFETY: our list is alive (we are it).
        let entry = match unsafe { entry.try_collect() } {
            Ok(g) => return Some(g),
            Err(entry) => entry,
        };
        let n = node_ref(entry.0.as_ptr());
        *slot = Some(entry);
        // SAFETY: not notified, and only a notify moves it on under the lock we hold: it is
        // waiting, so its data belongs to the lock.
        n.data.with_mut(|d| match unsafe { &mut (*d).waker } {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        });
        None
    }

    /// Removes the entry of a dropped waiter and returns what it held (rules 4, 5, 7).
    ///
    /// # Safety
    /// `entry` was made by this list's `push_back`.
    pub(crate) unsafe fn cancel(&mut self, entry: Entry<W, G>) -> Removed<W, G> {
        let node = entry.0.as_ptr().cast_const();
        let n = node_ref(node);
        // ORDERING: Acquire pairs with the notifier's Release (rule 3).
        match n.state.load(Ordering::Acquire) {
            // SAFETY: we saw `NOTIFIED` with Acquire, for the entry's waiter.
            NOTIFIED => Removed::Notified(unsafe { vacate_granted(n) }),
            POISONED => {
                // ORDERING: Release hands the node back (rule 2).
                n.state.store(VACANT, Ordering::Release);
                Removed::Lost
            }
            state => {
                debug_assert_eq!(state, WAITING, "cancelled an entry whose node was given back");
                self.unlink(node);
                // SAFETY: waiting, so its data belongs to the lock we hold.
                let data = n
                    .data
                    .with_mut(|d| unsafe { core::mem::replace(&mut *d, Data { waker: None, value: Value::Empty }) });
                self.release(node);
                // ORDERING: only read under the lock from now on (rule 2).
                n.state.store(VACANT, Ordering::Relaxed);
                match data.value {
                    Value::Waiting(w) => Removed::Waiting(w),
                    _ => unreachable!("a waiting node holds no request"),
                }
            }
        }
    }

    /// A node for a new entry: a free one its last waiter has given back, else a fresh one.
    ///
    /// Free nodes still awaiting their waiter (notified, not yet collected) are rotated to the
    /// back. A push looks at [`ALLOC_SCAN`] of them plus whatever scan credit earlier pushes
    /// banked ([`SCAN_CREDIT`] each, up to the free list's length), so it costs O(1) amortised
    /// under the lock even right after an `Event::set` released thousands of nodes whose
    /// tasks have not run yet. The credit is what bounds the arena when some waiters never
    /// collect (futures notified, then kept unpolled): without it, a push that met eight such
    /// nodes in a row took a fresh node although vacant ones sat right behind them, and the
    /// arena grew without limit. A fresh node is taken only when every node looked at belongs
    /// to a live waiter, so the arena stays proportional to the most entries (waiting or
    /// uncollected) ever live at once; the tests below check it stays under twice that, plus a
    /// page.
    fn alloc(&mut self) -> *const Node<W, G> {
        self.scan_credit = (self.scan_credit + SCAN_CREDIT).min(self.free_len);
        let budget = self.free_len.min(ALLOC_SCAN + self.scan_credit);
        for looked in 0..budget {
            if looked >= ALLOC_SCAN {
                self.scan_credit -= 1;
            }
            let node = self.free_head;
            self.free_len -= 1;
            self.free_head = next_of(node);
            if self.free_head.is_null() {
                self.free_tail = ptr::null();
            }
            // ORDERING: Acquire pairs with the waiter's Release of `VACANT` (rule 3): its last
            // read of the node happens before we reuse it.
            if node_ref(node).state.load(Ordering::Acquire) == VACANT {
                return node;
            }
            // Its waiter has not collected yet: keep it for later.
            self.release(node);
        }
        if self.fresh == 0 {
            let len = self.pages.last().map_or(FIRST_PAGE, |p| p.len() * 2);
            self.pages.push((0..len).map(|_| Node::new()).collect());
            self.fresh = len;
        }
        let page = self.pages.last().expect("a page was just added");
        self.fresh -= 1;
        &page[page.len() - 1 - self.fresh]
    }

    /// Puts a node at the back of the free list (it is reused once seen `VACANT`).
    fn release(&mut self, node: *const Node<W, G>) {
        // SAFETY: links are only touched under the lock, which we hold.
        node_ref(node).links.with_mut(|l| unsafe { (*l).next = ptr::null() });
        match self.free_tail.is_null() {
            true => self.free_head = node,
            false => set_next(self.free_tail, node),
        }
        self.free_tail = node;
        self.free_len += 1;
    }

    /// Takes a waiting node off the queue.
    fn unlink(&mut self, node: *const Node<W, G>) {
        // SAFETY: links are only touched under the lock, which we hold.
        let Links { prev, next } = node_ref(node).links.with(|l| unsafe { ptr::read(l) });
        match prev.is_null() {
            true => self.head = next,
            false => set_next(prev, next),
        }
        match next.is_null() {
            true => self.tail = prev,
            // SAFETY: as above.
            false => node_ref(next).links.with_mut(|l| unsafe { (*l).prev = prev }),
        }
        self.waiting -= 1;
    }
}

/// Borrows a node of a live list's arena.
#[inline(always)]
fn node_ref<'n, W, G>(node: *const Node<W, G>) -> &'n Node<W, G> {
    // SAFETY: every caller passes a node of a list it holds (so its arena is alive), and the
    // borrow does not outlive that list.
    unsafe { &*node }
}

fn next_of<W, G>(node: *const Node<W, G>) -> *const Node<W, G> {
    // SAFETY: links are only touched under the lock, which the list's caller holds.
    node_ref(node).links.with(|l| unsafe { (*l).next })
}

fn set_next<W, G>(node: *const Node<W, G>, to: *const Node<W, G>) {
    // SAFETY: links are only touched under the lock, which the list's caller holds.
    node_ref(node).links.with_mut(|l| unsafe { (*l).next = to });
}

/// Rule 7: while user code turns the head's request into a grant, a panic unlinks the head,
/// marks it `POISONED` and queues its waker on the caller's [`WakeList`], which wakes it after
/// the lock is released (rule 6): a waker that re-enters the primitive must not deadlock.
struct PoisonOnUnwind<'l, W, G> {
    list: &'l mut WaitList<W, G>,
    node: *const Node<W, G>,
    wake: &'l mut WakeList,
}

impl<W, G> Drop for PoisonOnUnwind<'_, W, G> {
    fn drop(&mut self) {
        self.list.unlink(self.node);
        let n = node_ref(self.node);
        // SAFETY: still under the lock (the panic unwinds through the caller's guard later).
        let waker = n.data.with_mut(|d| unsafe { (*d).waker.take() });
        self.list.release(self.node);
        // ORDERING: Release, as for `NOTIFIED` (rule 2).
        n.state.store(POISONED, Ordering::Release);
        if let Some(w) = waker {
            self.wake.push(w);
        }
    }
}

impl<W, G> Default for WaitList<W, G> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W, G> fmt::Debug for WaitList<W, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList").field("waiting", &self.waiting).finish_non_exhaustive()
    }
}

/// Wakers collected under a lock, woken after it is released (rule 6).
///
/// Declared before the lock guard, so that if user code panics while the lock is held the
/// guard unlocks first and this list's `Drop` then wakes what it collected: no waker is lost
/// to an unwind.
pub(crate) struct WakeList {
    inline: [Option<Waker>; 4],
    len: usize,
    rest: Vec<Waker>,
}

impl WakeList {
    /// An empty list (does not allocate).
    #[inline]
    pub(crate) const fn new() -> Self {
        Self { inline: [const { None }; 4], len: 0, rest: Vec::new() }
    }

    /// Adds a waker.
    #[inline]
    pub(crate) fn push(&mut self, waker: Waker) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = Some(waker);
            self.len += 1;
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes everything collected, in order; a panicking (foreign) waker is reported and the
    /// others are still woken (rule 6).
    #[inline]
    pub(crate) fn wake_all(mut self) {
        // Only the filled prefix, taken in place, and no drop glue after: moving the whole
        // inline array through an iterator, or dropping four empty slots and a `Vec`, made a
        // `Semaphore` release with nobody waiting cost over a hundred instructions.
        for slot in &mut self.inline[..self.len] {
            if let Some(waker) = slot.take() {
                wake_caught(waker);
            }
        }
        if self.len == self.inline.len() {
            std::mem::take(&mut self.rest).into_iter().for_each(wake_caught);
        }
        // Every slot is `None` and `rest` owns no allocation (it is only pushed to once the
        // inline slots are full, and was taken above): there is nothing left to drop.
        std::mem::forget(self);
    }
}

impl Drop for WakeList {
    /// Wakes what a list dropped without `wake_all` had collected: a panic unwinding past it,
    /// or (with nothing collected, so nothing to do) an early return. Rule 6 declares every
    /// list before its lock guard, so the guard is dropped first and no waker runs under the
    /// lock.
    #[cold]
    fn drop(&mut self) {
        self.inline.iter_mut().filter_map(Option::take).chain(self.rest.drain(..)).for_each(wake_caught);
    }
}

/// Wakes `waker` behind `catch_unwind`, reporting a panic on stderr instead of unwinding into
/// the primitive's caller and past the other wakers.
pub(crate) fn wake_caught(waker: Waker) {
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || waker.wake())) {
        report_panic("a waker panicked", &*payload);
    }
}

/// Reports a caught panic of user code on stderr, as the rest of corio does.
pub(crate) fn report_panic(what: &str, payload: &(dyn core::any::Any + Send)) {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    eprintln!("corio: {what}: {msg}");
}

/// A primitive whose state (behind [`Waitable::state`]) holds a [`WaitList`].
///
/// `Side` tells apart several lists in one state (a queue's getters, putters and joiners).
pub(crate) trait Waitable<Side = ()> {
    /// The lock-protected state.
    type State;
    /// What a waiting entry asks for.
    type Wait;
    /// What a notified entry is handed.
    type Grant;

    /// The primitive's internal mutex.
    fn state(&self) -> &Mutex<Self::State>;

    /// The list inside the state.
    fn list(state: &mut Self::State) -> &mut WaitList<Self::Wait, Self::Grant>;

    /// A waiter left while still queued (rule 4). The request is dropped after the lock is
    /// released, so a user value's destructor never runs under it.
    fn left(&self, state: &mut Self::State, wait: &Self::Wait, wake: &mut WakeList) {
        let _ = (state, wait, wake);
    }

    /// A waiter was dropped holding `grant`: pass it on or take it back (rule 5). What it
    /// returns is dropped after the lock is released (a user value's destructor).
    fn give_back(&self, state: &mut Self::State, grant: Self::Grant, wake: &mut WakeList) -> Option<Self::Grant>;
}

/// The part of a waiting future that owns its list entry; dropping it applies rules 4 and 5.
pub(crate) struct Waiter<'a, Q: Waitable<Side>, Side = ()> {
    q: &'a Q,
    entry: Option<Entry<Q::Wait, Q::Grant>>,
    _side: PhantomData<fn() -> Side>,
}

impl<'a, Q: Waitable<Side>, Side> Waiter<'a, Q, Side> {
    /// A waiter that has not polled yet.
    #[inline]
    pub(crate) const fn new(q: &'a Q) -> Self {
        Self { q, entry: None, _side: PhantomData }
    }

    /// A waiter queued right now, before its first poll (used where registering must happen
    /// before some other step, e.g. `Condition::wait` releasing the mutex).
    pub(crate) fn queued(q: &'a Q, state: &mut Q::State, wait: Q::Wait) -> Self {
        let entry = Q::list(state).push_back(wait, None);
        Self { q, entry: Some(entry), _side: PhantomData }
    }

    /// The primitive this waiter waits on.
    #[inline]
    pub(crate) fn primitive(&self) -> &'a Q {
        self.q
    }

    /// Polls. On the first poll `first` runs under the lock and either finishes at once
    /// (`Ok`) or returns the request to queue (`Err`); once notified, `granted` turns the grant
    /// into the output, collected without the lock (rule 3).
    #[inline]
    pub(crate) fn poll<O>(
        &mut self,
        cx: &Context<'_>,
        first: impl FnOnce(&mut Q::State, &mut WakeList) -> Result<O, Q::Wait>,
        granted: impl FnOnce(Q::Grant) -> O,
    ) -> Poll<O> {
        if let Some(entry) = self.entry.take() {
            // SAFETY: the entry is our primitive's, which outlives us (`&'a Q`).
            match unsafe { entry.try_collect() } {
                Ok(g) => return Poll::Ready(granted(g)),
                Err(entry) => self.entry = Some(entry),
            }
        }
        let mut wake = WakeList::new();
        let mut state = self.q.state().lock();
        let out = match self.entry {
            // SAFETY: the entry was made by this primitive's list.
            Some(_) => match unsafe { Q::list(&mut state).poll(&mut self.entry, cx) } {
                Some(g) => Poll::Ready(granted(g)),
                None => Poll::Pending,
            },
            None => match first(&mut state, &mut wake) {
                Ok(out) => Poll::Ready(out),
                Err(wait) => {
                    self.entry = Some(Q::list(&mut state).push_back(wait, Some(cx.waker().clone())));
                    Poll::Pending
                }
            },
        };
        drop(state);
        wake.wake_all();
        out
    }

    /// Like [`Waiter::poll`] for a waiter created by [`Waiter::queued`].
    #[inline]
    pub(crate) fn poll_queued(&mut self, cx: &Context<'_>) -> Poll<Q::Grant> {
        self.poll(cx, |_, _| unreachable!("waiter was queued"), |g| g)
    }

    /// Whether this waiter has an entry in the list (waiting, or notified and not collected).
    #[inline]
    pub(crate) fn is_queued(&self) -> bool {
        self.entry.is_some()
    }
}

impl<Q: Waitable<Side>, Side> Drop for Waiter<'_, Q, Side> {
    #[inline]
    fn drop(&mut self) {
        // Most waiters finish without ever queueing: keep their drop to one inlined check.
        if let Some(entry) = self.entry.take() {
            self.cancel(entry);
        }
    }
}

impl<Q: Waitable<Side>, Side> Waiter<'_, Q, Side> {
    /// Rules 4 and 5, for a waiter dropped with an entry.
    #[cold]
    fn cancel(&self, entry: Entry<Q::Wait, Q::Grant>) {
        let mut wake = WakeList::new();
        let mut state = self.q.state().lock();
        // SAFETY: the entry was made by this primitive's list.
        let removed = unsafe { Q::list(&mut state).cancel(entry) };
        let leftover = match removed {
            Removed::Waiting(w) => {
                self.q.left(&mut state, &w, &mut wake);
                (Some(w), None)
            }
            Removed::Notified(g) => (None, self.q.give_back(&mut state, g, &mut wake)),
            Removed::Lost => (None, None),
        };
        drop(state);
        drop(leftover);
        wake.wake_all();
    }
}

impl<Q: Waitable<Side>, Side> fmt::Debug for Waiter<'_, Q, Side> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter").field("queued", &self.entry.is_some()).finish()
    }
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use std::collections::VecDeque;
    use std::task::{Context, Waker};

    use proptest::prelude::*;

    use super::*;

    fn arena_len(list: &WaitList<u32, u32>) -> usize {
        list.pages.iter().map(|p| p.len()).sum()
    }

    /// A parked waiter's node costs what its fields do (the `memory` row counts it per idle task).
    #[test]
    fn a_unit_waiters_node_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Node<(), ()>>(), 48);
    }

    /// After a mass notify whose waiters have not collected yet, a push looks at a few free
    /// nodes and takes a fresh one instead of scanning them all under the lock; once they have
    /// collected, pushes reuse their nodes.
    #[test]
    fn push_after_a_mass_notify_does_not_scan_every_uncollected_node() {
        let mut list = WaitList::<u32, u32>::new();
        let mut wake = WakeList::new();
        let entries: Vec<_> = (0..1000).map(|i| list.push_back(i, None)).collect();
        assert_eq!(list.notify_all(|w| w, &mut wake), 1000);
        let unused = list.fresh;
        // The last one collected: vacant, but behind 999 uncollected nodes.
        let mut entries = entries.into_iter();
        let last = entries.next_back().unwrap();
        // SAFETY: the entry is this list's, which is alive.
        assert_eq!(unsafe { last.try_collect() }.ok(), Some(999));
        let fresh = list.push_back(1000, None);
        assert_eq!(list.fresh, unused - 1, "a fresh node, not a scan of 999 nodes");
        for (i, e) in entries.enumerate() {
            // SAFETY: as above.
            assert_eq!(unsafe { e.try_collect() }.ok(), Some(i as u32));
        }
        let grown = arena_len(&list);
        let again: Vec<_> = (0..500).map(|i| list.push_back(i, None)).collect();
        assert_eq!(arena_len(&list), grown, "collected nodes are reused");
        for e in again.into_iter().chain([fresh]) {
            // SAFETY: as above.
            let _ = unsafe { list.cancel(e) };
        }
        wake.wake_all();
    }

    /// Waiters notified and then never polled again (their futures kept) leave uncollected
    /// nodes in the free list for good; a waiter that comes and goes past them must reuse the
    /// vacant nodes behind them, not take a fresh node each time it meets them (found in
    /// review: the arena grew like the square root of the number of pushes).
    #[test]
    fn nodes_that_are_never_collected_do_not_make_the_arena_grow() {
        for stuck in [8, 20, 100] {
            let mut list = WaitList::<u32, u32>::new();
            let mut wake = WakeList::new();
            let kept: Vec<_> = (0..stuck).map(|i| list.push_back(i, None)).collect();
            assert_eq!(list.notify_all(|w| w, &mut wake), stuck as usize);
            for i in 0..100_000 {
                let entry = list.push_back(i, None);
                assert!(list.notify_front(|w| w, &mut wake));
                // SAFETY: the entry is this list's, which is alive.
                assert_eq!(unsafe { entry.try_collect() }.ok(), Some(i));
            }
            let bound = 2 * (stuck as usize + 1) + FIRST_PAGE;
            assert!(arena_len(&list) <= bound, "{stuck} stuck nodes: arena {} > {bound}", arena_len(&list));
            for e in kept {
                // SAFETY: as above.
                let _ = unsafe { list.cancel(e) };
            }
            wake.wake_all();
        }
    }

    /// A `WakeList` dropped without `wake_all` (a panic unwinding past it) still wakes.
    #[test]
    fn wake_list_dropped_by_an_unwind_still_wakes() {
        struct Count(std::sync::atomic::AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let count = std::sync::Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
        let got = std::panic::catch_unwind(|| {
            let mut wake = WakeList::new();
            for _ in 0..6 {
                wake.push(Waker::from(count.clone()));
            }
            panic!("user code panics while wakers are collected");
        });
        assert!(got.is_err());
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 6);
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// A new waiter queues its request.
        Push,
        /// The head is granted `request * 10`.
        Notify,
        /// The `i`-th live entry (mod count) polls: lock-free, then under the lock.
        Poll(usize),
        /// The `i`-th live entry (mod count) is dropped.
        Cancel(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Push),
            Just(Op::Notify),
            any::<usize>().prop_map(Op::Poll),
            any::<usize>().prop_map(Op::Cancel)
        ]
    }

    proptest! {
        /// The list against a model: FIFO grants, each grant collected or returned exactly once,
        /// and an arena no larger than twice the most entries ever live at once (plus a page).
        #[test]
        fn wait_list_matches_a_fifo_model(ops in proptest::collection::vec(op(), 1..200)) {
            let mut list = WaitList::<u32, u32>::new();
            let cx = Context::from_waker(Waker::noop());
            // (request, entry) of live entries; `granted` mirrors what the model handed out.
            let mut live: Vec<(u32, Entry<u32, u32>)> = Vec::new();
            let mut queue: VecDeque<u32> = VecDeque::new();
            let mut granted: Vec<u32> = Vec::new();
            let (mut next, mut most_live) = (0u32, 0usize);
            let mut wake = WakeList::new();
            for op in ops {
                match op {
                    Op::Push => {
                        live.push((next, list.push_back(next, None)));
                        queue.push_back(next);
                        next += 1;
                    }
                    Op::Notify => {
                        let expect = queue.pop_front();
                        let mut seen = None;
                        prop_assert_eq!(list.notify_front(|w| { seen = Some(w); w * 10 }, &mut wake), expect.is_some());
                        prop_assert_eq!(seen, expect);
                        granted.extend(expect);
                    }
                    Op::Poll(i) if !live.is_empty() => {
                        let (req, entry) = live.swap_remove(i % live.len());
                        let was_granted = granted.contains(&req);
                        // SAFETY: the entry is this list's, which is alive.
                        let entry = match unsafe { entry.try_collect() } {
                            Ok(g) => {
                                prop_assert!(was_granted);
                                prop_assert_eq!(g, req * 10);
                                granted.retain(|&r| r != req);
                                continue;
                            }
                            Err(entry) => entry,
                        };
                        prop_assert!(!was_granted);
                        // SAFETY: as above.
                        let mut slot = Some(entry);
                        // SAFETY: as above.
                        let polled = unsafe { list.poll(&mut slot, &cx) };
                        prop_assert!(polled.is_none());
                        live.push((req, slot.expect("a waiting entry stays in its slot")));
                    }
                    Op::Cancel(i) if !live.is_empty() => {
                        let (req, entry) = live.swap_remove(i % live.len());
                        // SAFETY: the entry is this list's.
                        match unsafe { list.cancel(entry) } {
                            Removed::Waiting(w) => {
                                prop_assert_eq!(w, req);
                                queue.retain(|&r| r != req);
                            }
                            Removed::Notified(g) => {
                                prop_assert_eq!(g, req * 10);
                                granted.retain(|&r| r != req);
                            }
                            Removed::Lost => prop_assert!(false, "nothing panicked"),
                        }
                    }
                    Op::Poll(_) | Op::Cancel(_) => {}
                }
                prop_assert_eq!(list.len(), queue.len());
                prop_assert_eq!(list.front().copied(), queue.front().copied());
                most_live = most_live.max(live.len());
                let arena: usize = list.pages.iter().map(|p| p.len()).sum();
                prop_assert!(arena < 2 * most_live + FIRST_PAGE, "arena {} for at most {} live", arena, most_live);
            }
            for (_, entry) in live {
                // SAFETY: the entry is this list's.
                let _ = unsafe { list.cancel(entry) };
            }
            prop_assert!(list.is_empty());
        }
    }
}
