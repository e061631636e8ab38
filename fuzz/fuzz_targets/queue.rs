//! `corio_sync`'s `Queue`, `LifoQueue` and `PriorityQueue` against a model
//! (a `VecDeque`, a `Vec`, a `BinaryHeap`): `put_nowait`, `get_nowait`,
//! `task_done`, `shutdown` (both kinds), and `get`/`put`/`join` futures
//! polled by hand (a no-op waker), left pending and dropped in any order.
//!
//! The model follows the queue's protocol (`corio-sync/src/queue/mod.rs`):
//! a put hands its item to the first waiting getter, else stores it if
//! there is room; a get that frees a slot moves the first waiting putter's
//! item in; a getter dropped holding an item passes it to the next getter
//! or puts it back where its age places it (after `shutdown(true)` it is
//! dropped and counted done); `unfinished` counts items put
//! and not yet `task_done`, and reaching zero releases every joiner;
//! `shutdown` fails every waiter, and `shutdown(true)` drops what is stored
//! and counts it done. Every item is dropped exactly once (checked with a
//! ledger of live item ids).
//!
//! `cargo +nightly fuzz run queue seeds/queue` (from this directory).
#![no_main]

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use corio_sync::{BaseQueue, GetError, LifoQueue, PriorityQueue, PutError, Queue, QueueShutDown, Storage};
use libfuzzer_sys::fuzz_target;

thread_local! {
    /// Ids of the items alive right now.
    static LIVE: RefCell<BTreeSet<u32>> = const { RefCell::new(BTreeSet::new()) };
}

/// A queue item: ordered by priority, then id (so the priority order is
/// total and the model can predict it); its drop is recorded.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    prio: u8,
    id: u32,
}

impl Item {
    fn new(prio: u8, id: u32) -> Item {
        assert!(LIVE.with(|l| l.borrow_mut().insert(id)));
        Item { prio, id }
    }

    fn key(&self) -> (u8, u32) {
        (self.prio, self.id)
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        let was_live = LIVE.with(|l| l.borrow_mut().remove(&self.id));
        assert!(was_live, "item {} dropped twice", self.id);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Order {
    Fifo,
    Lifo,
    Priority,
}

/// The model's storage: item keys `(prio, id)`.
struct Store {
    order: Order,
    deque: VecDeque<(u8, u32)>,
    heap: BinaryHeap<Reverse<(u8, u32)>>,
}

impl Store {
    fn len(&self) -> usize {
        if self.order == Order::Priority { self.heap.len() } else { self.deque.len() }
    }

    fn push(&mut self, k: (u8, u32)) {
        match self.order {
            Order::Priority => self.heap.push(Reverse(k)),
            _ => self.deque.push_back(k),
        }
    }

    /// An item a cancelled getter gives back: older than everything stored.
    fn push_returned(&mut self, k: (u8, u32)) {
        match self.order {
            Order::Fifo => self.deque.push_front(k),
            Order::Lifo => self.deque.push_front(k),
            Order::Priority => self.heap.push(Reverse(k)),
        }
    }

    fn pop(&mut self) -> Option<(u8, u32)> {
        match self.order {
            Order::Fifo => self.deque.pop_front(),
            Order::Lifo => self.deque.pop_back(),
            Order::Priority => self.heap.pop().map(|Reverse(k)| k),
        }
    }

    fn clear(&mut self) -> usize {
        let n = self.len();
        self.deque.clear();
        self.heap.clear();
        n
    }
}

/// What a getter, putter or joiner future is in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait<T> {
    /// Queued (FIFO among its kind); for a putter, with its item.
    Waiting(T),
    /// Handed its outcome; the next poll returns it.
    Notified(Option<(u8, u32)>),
}

struct Model {
    maxsize: usize,
    store: Store,
    unfinished: usize,
    shut_down: bool,
    /// `shutdown(true)` happened: a given-back item is dropped and counted done.
    immediate: bool,
    /// Parallel to the real futures' vectors.
    getters: Vec<Wait<()>>,
    putters: Vec<Wait<(u8, u32)>>,
    joiners: Vec<Wait<()>>,
    /// Queue order of waiting getters and putters (indices into the above
    /// are unstable, so these hold tickets).
    get_queue: VecDeque<u64>,
    put_queue: VecDeque<u64>,
    get_tickets: Vec<u64>,
    put_tickets: Vec<u64>,
    next_ticket: u64,
}

impl Model {
    fn full(&self) -> bool {
        self.maxsize > 0 && self.store.len() >= self.maxsize
    }

    /// Rule 1: hands `k` to the first waiting getter; `false` if none waits.
    fn grant_getter(&mut self, k: (u8, u32)) -> bool {
        let Some(t) = self.get_queue.pop_front() else { return false };
        let i = self.get_tickets.iter().position(|&x| x == t).expect("queued getter exists");
        self.getters[i] = Wait::Notified(Some(k));
        true
    }

    /// `put_nowait` / a putter's first poll: `Ok(true)` stored or handed
    /// over, `Ok(false)` full, `Err` shut down.
    fn offer(&mut self, k: (u8, u32)) -> Result<bool, ()> {
        if self.shut_down {
            return Err(());
        }
        if !self.grant_getter(k) {
            if self.full() {
                return Ok(false);
            }
            self.store.push(k);
        }
        self.unfinished += 1;
        Ok(true)
    }

    /// Rule 2: takes an item, then moves the first waiting putter's in.
    fn take(&mut self) -> Result<(u8, u32), GetError> {
        let Some(k) = self.store.pop() else {
            return Err(if self.shut_down { GetError::ShutDown } else { GetError::Empty });
        };
        if (self.maxsize == 0 || self.store.len() < self.maxsize)
            && let Some(t) = self.put_queue.pop_front()
        {
            let i = self.put_tickets.iter().position(|&x| x == t).expect("queued putter exists");
            let Wait::Waiting(item) = self.putters[i] else { unreachable!() };
            self.store.push(item);
            self.putters[i] = Wait::Notified(None);
            self.unfinished += 1;
        }
        Ok(k)
    }

    fn finish(&mut self, n: usize) {
        self.unfinished = self.unfinished.saturating_sub(n);
        if self.unfinished == 0 {
            for j in &mut self.joiners {
                if *j == Wait::Waiting(()) {
                    *j = Wait::Notified(None);
                }
            }
        }
    }
}

type GetFuture<'q> = Pin<Box<dyn Future<Output = Result<Item, QueueShutDown>> + 'q>>;
type PutFuture<'q> = Pin<Box<dyn Future<Output = Result<(), QueueShutDown>> + 'q>>;
type JoinFuture<'q> = Pin<Box<dyn Future<Output = ()> + 'q>>;

/// The futures the fuzz input keeps around, parallel to the model's.
struct Futures<'q> {
    getters: Vec<GetFuture<'q>>,
    putters: Vec<PutFuture<'q>>,
    joiners: Vec<JoinFuture<'q>>,
}

struct Bytes<'a>(std::slice::Iter<'a, u8>);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        self.0.next().copied()
    }

    fn byte(&mut self) -> u8 {
        self.next().unwrap_or(0)
    }
}

fn poll<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

fn run<S: Storage<Item = Item>>(q: BaseQueue<S>, order: Order, b: &mut Bytes<'_>) {
    let maxsize = q.maxsize();
    let mut m = Model {
        maxsize,
        store: Store { order, deque: VecDeque::new(), heap: BinaryHeap::new() },
        unfinished: 0,
        shut_down: false,
        immediate: false,
        getters: Vec::new(),
        putters: Vec::new(),
        joiners: Vec::new(),
        get_queue: VecDeque::new(),
        put_queue: VecDeque::new(),
        get_tickets: Vec::new(),
        put_tickets: Vec::new(),
        next_ticket: 0,
    };
    let mut f = Futures { getters: Vec::new(), putters: Vec::new(), joiners: Vec::new() };
    let mut next_id = 0u32;
    let mut new_item = |b: &mut Bytes<'_>| {
        next_id += 1;
        // Few priorities, so equal ones (ordered by id) are common.
        Item::new(b.byte() % 4, next_id)
    };
    while let Some(op) = b.next() {
        match op % 16 {
            0..=2 => {
                let item = new_item(b);
                let k = item.key();
                match (q.put_nowait(item), m.offer(k)) {
                    (Ok(()), Ok(true)) => {}
                    (Err(PutError::Full(item)), Ok(false)) => assert_eq!(item.key(), k),
                    (Err(PutError::ShutDown(item)), Err(())) => assert_eq!(item.key(), k),
                    (got, want) => panic!("put_nowait({k:?}): {got:?}, model {want:?}"),
                }
            }
            3..=5 => {
                let got = q.get_nowait().map(|item| item.key());
                assert_eq!(got, m.take(), "get_nowait");
            }
            6 => {
                let want = if m.unfinished == 0 { Err(()) } else { Ok(()) };
                assert_eq!(q.task_done().map_err(|_| ()), want, "task_done with {} unfinished", m.unfinished);
                if want.is_ok() {
                    m.finish(1);
                }
            }
            7 => {
                // A new getter, polled once.
                let mut g: GetFuture<'_> = Box::pin(q.get());
                let got = poll(g.as_mut()).map(|r| r.map(|item| item.key()));
                let want = match m.take() {
                    Ok(k) => Poll::Ready(Ok(k)),
                    Err(GetError::ShutDown) => Poll::Ready(Err(QueueShutDown)),
                    Err(GetError::Empty) => Poll::Pending,
                };
                assert_eq!(got, want, "a new getter's first poll");
                if want.is_pending() {
                    m.next_ticket += 1;
                    m.get_queue.push_back(m.next_ticket);
                    m.get_tickets.push(m.next_ticket);
                    m.getters.push(Wait::Waiting(()));
                    f.getters.push(g);
                }
            }
            8 => {
                // Poll a pending getter.
                if let Some(i) = pick(b, f.getters.len()) {
                    let got = poll(f.getters[i].as_mut()).map(|r| r.map(|item| item.key()));
                    match m.getters[i] {
                        Wait::Waiting(()) => assert_eq!(got, Poll::Pending, "a waiting getter"),
                        Wait::Notified(k) => {
                            assert_eq!(got, Poll::Ready(k.ok_or(QueueShutDown)), "a notified getter");
                            remove_getter(&mut m, &mut f, i);
                        }
                    }
                }
            }
            9 => {
                // Drop a pending getter (cancellation).
                if let Some(i) = pick(b, f.getters.len()) {
                    let state = m.getters[i];
                    remove_getter(&mut m, &mut f, i);
                    if let Wait::Notified(Some(k)) = state {
                        // Rule 3: to the next getter, else back into storage; after
                        // `shutdown(true)`, dropped and counted done.
                        if m.immediate {
                            m.finish(1);
                        } else if !m.grant_getter(k) {
                            m.store.push_returned(k);
                        }
                    }
                }
            }
            10 => {
                // A new putter, polled once.
                let item = new_item(b);
                let k = item.key();
                let mut p: PutFuture<'_> = Box::pin(q.put(item));
                let got = poll(p.as_mut());
                match m.offer(k) {
                    Ok(true) => assert_eq!(got, Poll::Ready(Ok(())), "put({k:?}) with room"),
                    Err(()) => assert_eq!(got, Poll::Ready(Err(QueueShutDown)), "put({k:?}) after shutdown"),
                    Ok(false) => {
                        assert_eq!(got, Poll::Pending, "put({k:?}) on a full queue");
                        m.next_ticket += 1;
                        m.put_queue.push_back(m.next_ticket);
                        m.put_tickets.push(m.next_ticket);
                        m.putters.push(Wait::Waiting(k));
                        f.putters.push(p);
                    }
                }
            }
            11 => {
                if let Some(i) = pick(b, f.putters.len()) {
                    let got = poll(f.putters[i].as_mut());
                    match m.putters[i] {
                        Wait::Waiting(_) => assert_eq!(got, Poll::Pending, "a waiting putter"),
                        Wait::Notified(r) => {
                            // `Some` marks a putter failed by shutdown.
                            let want = if r.is_some() { Err(QueueShutDown) } else { Ok(()) };
                            assert_eq!(got, Poll::Ready(want), "a notified putter");
                            remove_putter(&mut m, &mut f, i);
                        }
                    }
                }
            }
            12 => {
                // Drop a putter: while waiting it did not put (rule 4).
                if let Some(i) = pick(b, f.putters.len()) {
                    remove_putter(&mut m, &mut f, i);
                }
            }
            13 => {
                // A joiner: a new one polled once, or an existing one polled or dropped.
                let sub = b.byte();
                if sub.is_multiple_of(3) || f.joiners.is_empty() {
                    let mut j: JoinFuture<'_> = Box::pin(q.join());
                    let got = poll(j.as_mut());
                    assert_eq!(got.is_ready(), m.unfinished == 0, "join with {} unfinished", m.unfinished);
                    if got.is_pending() {
                        m.joiners.push(Wait::Waiting(()));
                        f.joiners.push(j);
                    }
                } else {
                    let i = usize::from(sub / 3) % f.joiners.len();
                    let keep = sub % 3 == 1 && poll(f.joiners[i].as_mut()).is_pending();
                    if sub % 3 == 1 {
                        assert_eq!(!keep, m.joiners[i] != Wait::Waiting(()), "a joiner's poll");
                    }
                    if !keep {
                        drop(f.joiners.swap_remove(i));
                        m.joiners.swap_remove(i);
                    }
                }
            }
            14 => {
                let immediate = op >= 128;
                q.shutdown(immediate);
                if immediate {
                    let n = m.store.clear();
                    m.finish(n);
                }
                m.shut_down = true;
                m.immediate |= immediate;
                for t in std::mem::take(&mut m.get_queue) {
                    let i = m.get_tickets.iter().position(|&x| x == t).unwrap();
                    m.getters[i] = Wait::Notified(None);
                }
                for t in std::mem::take(&mut m.put_queue) {
                    let i = m.put_tickets.iter().position(|&x| x == t).unwrap();
                    // The putter's item is dropped; `Some` marks the failure.
                    let Wait::Waiting(k) = m.putters[i] else { unreachable!() };
                    m.putters[i] = Wait::Notified(Some(k));
                }
            }
            _ => {}
        }
        assert_eq!(q.qsize(), m.store.len(), "qsize");
        assert_eq!(q.empty(), m.store.len() == 0, "empty");
        assert_eq!(q.full(), m.full(), "full");
        // Every item alive is stored, held by a waiting putter or handed
        // to a getter that has not taken it yet.
        let held = m.store.len()
            + m.putters.iter().filter(|p| matches!(p, Wait::Waiting(_))).count()
            + m.getters.iter().filter(|g| matches!(g, Wait::Notified(Some(_)))).count();
        assert_eq!(LIVE.with(|l| l.borrow().len()), held, "items alive vs items the queue holds");
    }
    drop(f);
    drop(q);
    assert!(LIVE.with(|l| l.borrow().is_empty()), "items leaked by the queue");
}

fn pick(b: &mut Bytes<'_>, len: usize) -> Option<usize> {
    let x = b.byte();
    (len > 0).then(|| usize::from(x) % len)
}

fn remove_getter(m: &mut Model, f: &mut Futures<'_>, i: usize) {
    drop(f.getters.swap_remove(i));
    let t = m.get_tickets.swap_remove(i);
    m.getters.swap_remove(i);
    m.get_queue.retain(|&x| x != t);
}

fn remove_putter(m: &mut Model, f: &mut Futures<'_>, i: usize) {
    drop(f.putters.swap_remove(i));
    let t = m.put_tickets.swap_remove(i);
    m.putters.swap_remove(i);
    m.put_queue.retain(|&x| x != t);
}

fuzz_target!(|data: &[u8]| {
    LIVE.with(|l| l.borrow_mut().clear());
    let mut b = Bytes(data.iter());
    let head = b.byte();
    let maxsize = usize::from(head / 3 % 5);
    match head % 3 {
        0 => run(Queue::<Item>::new(maxsize), Order::Fifo, &mut b),
        1 => run(LifoQueue::<Item>::new(maxsize), Order::Lifo, &mut b),
        _ => run(PriorityQueue::<Item>::new(maxsize), Order::Priority, &mut b),
    }
});
