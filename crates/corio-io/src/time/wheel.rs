//! The hierarchical timer wheel: 6 levels × 64 slots of 1 ms ticks.
//!
//! A pure data structure (no clock, no locks, no wakers): the time driver
//! keeps it under its mutex and turns fired entries into wake-ups. Level `L`
//! slot `s` holds entries whose deadline shares every bit above `6·(L+1)`
//! with `elapsed` and has `s` in bits `6·L .. 6·L+6`; a level-0 slot holds a
//! single tick. Deadlines beyond the top level's range (2^36 ms, about two
//! years) wrap around the top level and are re-filed each rotation.
//!
//! # Rules
//!
//! 1. Every entry sits in the slot `level_for(elapsed, deadline)` gives for
//!    the current `elapsed`. `insert` files by that rule; `poll` keeps it
//!    true by processing (firing or re-filing) every slot whose start has
//!    been reached before it moves `elapsed` past it.
//! 2. A slot is a doubly linked FIFO list through the slab, so insert and
//!    cancel are O(1), and an occupancy bitmap per level makes finding the
//!    next slot O(levels).
//! 3. Entries with equal deadlines fire in the order they were inserted:
//!    by rule 1 they always sit in the same slot, an entry re-filed from a
//!    higher level is appended when its slot is reached, which is before
//!    any later insert with that deadline could be filed in the lower slot,
//!    and re-filing keeps list order.
//! 4. A deadline `<= elapsed` is refused (`insert` hands the value back):
//!    the caller fires it at once. So nothing fires before its tick.

use slab::Slab;

/// Levels in the wheel.
pub const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
/// Ticks one rotation of the top level spans.
const MAX_RANGE: u64 = 1 << (SLOT_BITS as u64 * LEVELS as u64);
const NIL: usize = usize::MAX;

/// Identifies an entry in the wheel until it fires or is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key(usize);

impl Key {
    pub(crate) fn into_raw(self) -> usize {
        self.0
    }

    pub(crate) fn from_raw(raw: usize) -> Key {
        Key(raw)
    }
}

#[derive(Debug)]
struct Node<T> {
    deadline: u64,
    prev: usize,
    next: usize,
    level: u8,
    slot: u8,
    value: T,
}

#[derive(Clone, Copy, Debug)]
struct List {
    head: usize,
    tail: usize,
}

const EMPTY_LIST: List = List { head: NIL, tail: NIL };

/// A hierarchical timer wheel holding values of type `T`.
#[derive(Debug)]
pub struct Wheel<T> {
    elapsed: u64,
    nodes: Slab<Node<T>>,
    slots: [[List; SLOTS]; LEVELS],
    occupied: [u64; LEVELS],
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Wheel::new()
    }
}

fn level_for(elapsed: u64, deadline: u64) -> usize {
    let masked = ((elapsed ^ deadline) | (SLOTS as u64 - 1)).min(MAX_RANGE - 1);
    let significant = 63 - masked.leading_zeros() as usize;
    significant / SLOT_BITS as usize
}

fn slot_for(deadline: u64, level: usize) -> usize {
    ((deadline >> (level as u32 * SLOT_BITS)) & (SLOTS as u64 - 1)) as usize
}

fn slot_range(level: usize) -> u64 {
    1 << (level as u32 * SLOT_BITS)
}

impl<T> Wheel<T> {
    /// An empty wheel at tick 0.
    pub fn new() -> Wheel<T> {
        Wheel { elapsed: 0, nodes: Slab::new(), slots: [[EMPTY_LIST; SLOTS]; LEVELS], occupied: [0; LEVELS] }
    }

    /// The last tick processed by [`poll`](Wheel::poll).
    pub fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of entries waiting.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// `true` if no entry waits.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Files `value` to fire at tick `deadline`; rule 4: a deadline already
    /// reached is refused and the value handed back.
    pub fn insert(&mut self, deadline: u64, value: T) -> Result<Key, T> {
        if deadline <= self.elapsed {
            return Err(value);
        }
        let key = self.nodes.insert(Node { deadline, prev: NIL, next: NIL, level: 0, slot: 0, value });
        self.file(key);
        Ok(Key(key))
    }

    /// Takes every entry out of the wheel, in no particular order (at
    /// runtime shutdown).
    pub fn drain(&mut self) -> Vec<T> {
        self.slots = [[EMPTY_LIST; SLOTS]; LEVELS];
        self.occupied = [0; LEVELS];
        self.nodes.drain().map(|n| n.value).collect()
    }

    /// Takes the entry out of the wheel (rule 2: O(1)).
    ///
    /// # Panics
    ///
    /// If `key` does not name an entry in the wheel.
    pub fn remove(&mut self, key: Key) -> T {
        self.unlink(key.0);
        self.nodes.remove(key.0).value
    }

    /// The deadline of a waiting entry.
    pub fn deadline(&self, key: Key) -> u64 {
        self.nodes[key.0].deadline
    }

    /// The value of a waiting entry.
    pub fn get(&self, key: Key) -> &T {
        &self.nodes[key.0].value
    }

    /// The value of a waiting entry, to change in place.
    ///
    /// # Panics
    ///
    /// If `key` does not name an entry in the wheel.
    pub fn get_mut(&mut self, key: Key) -> &mut T {
        &mut self.nodes[key.0].value
    }

    /// The tick at which [`poll`](Wheel::poll) next has work (firing or
    /// re-filing); `None` when empty.
    pub fn next_expiration(&self) -> Option<u64> {
        (0..LEVELS).filter_map(|level| self.next_slot(level).map(|(_, t)| t)).min()
    }

    /// Moves time forward to `now`, pushing every entry whose deadline is
    /// `<= now` into `fired`, in deadline order and, for equal deadlines,
    /// insertion order (rule 3).
    pub fn poll(&mut self, now: u64, fired: &mut Vec<T>) {
        while let Some((level, slot, start)) = self.earliest_slot() {
            if start > now {
                break;
            }
            self.elapsed = start;
            self.process_slot(level, slot, fired);
        }
        self.elapsed = self.elapsed.max(now);
    }

    fn earliest_slot(&self) -> Option<(usize, usize, u64)> {
        (0..LEVELS)
            .filter_map(|level| self.next_slot(level).map(|(slot, t)| (level, slot, t)))
            .min_by_key(|&(level, _, t)| (t, level))
    }

    /// The next occupied slot of `level` and the tick at which it starts.
    fn next_slot(&self, level: usize) -> Option<(usize, u64)> {
        let occupied = self.occupied[level];
        if occupied == 0 {
            return None;
        }
        let now_slot = slot_for(self.elapsed, level);
        // Only the top level can hold an entry in the current slot: one
        // that wrapped around (module docs). Its next visit is a full
        // rotation away, so any other occupied slot comes first.
        let others = occupied & !(1 << now_slot);
        let slot = if others != 0 {
            (others.rotate_right(now_slot as u32).trailing_zeros() as usize + now_slot) % SLOTS
        } else {
            now_slot
        };
        let range = slot_range(level);
        let level_range = range << SLOT_BITS;
        let level_start = self.elapsed & !(level_range - 1);
        let mut start = level_start + slot as u64 * range;
        if start <= self.elapsed {
            // The slot is in the next rotation.
            start += level_range;
        }
        Some((slot, start))
    }

    fn process_slot(&mut self, level: usize, slot: usize, fired: &mut Vec<T>) {
        let list = std::mem::replace(&mut self.slots[level][slot], EMPTY_LIST);
        self.occupied[level] &= !(1 << slot);
        let mut cursor = list.head;
        while cursor != NIL {
            let next = self.nodes[cursor].next;
            if self.nodes[cursor].deadline <= self.elapsed {
                fired.push(self.nodes.remove(cursor).value);
            } else {
                self.file(cursor);
            }
            cursor = next;
        }
    }

    /// Appends node `key` to the tail of its slot (rule 1).
    fn file(&mut self, key: usize) {
        let deadline = self.nodes[key].deadline;
        let level = level_for(self.elapsed, deadline);
        let slot = slot_for(deadline, level);
        let list = &mut self.slots[level][slot];
        let tail = list.tail;
        if tail == NIL {
            list.head = key;
        } else {
            self.nodes[tail].next = key;
        }
        list.tail = key;
        self.occupied[level] |= 1 << slot;
        let node = &mut self.nodes[key];
        node.prev = tail;
        node.next = NIL;
        node.level = level as u8;
        node.slot = slot as u8;
    }

    fn unlink(&mut self, key: usize) {
        let (prev, next, level, slot) = {
            let n = &self.nodes[key];
            (n.prev, n.next, n.level as usize, n.slot as usize)
        };
        let list = &mut self.slots[level][slot];
        if prev == NIL {
            list.head = next;
        } else {
            self.nodes[prev].next = next;
        }
        let list = &mut self.slots[level][slot];
        if next == NIL {
            list.tail = prev;
        } else {
            self.nodes[next].prev = prev;
        }
        if self.slots[level][slot].head == NIL {
            self.occupied[level] &= !(1 << slot);
        }
    }
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use super::*;

    fn drain(wheel: &mut Wheel<u32>, now: u64) -> Vec<u32> {
        let mut out = Vec::new();
        wheel.poll(now, &mut out);
        out
    }

    #[test]
    fn fires_at_its_tick_not_before() {
        let mut w = Wheel::new();
        w.insert(5, 1).unwrap();
        assert!(drain(&mut w, 4).is_empty());
        assert_eq!(drain(&mut w, 5), vec![1]);
    }

    #[test]
    fn equal_deadlines_fire_in_insertion_order_across_levels() {
        let mut w = Wheel::new();
        w.insert(5000, 1).unwrap();
        assert!(drain(&mut w, 4990).is_empty());
        w.insert(5000, 2).unwrap();
        w.insert(4999, 0).unwrap();
        assert_eq!(drain(&mut w, 6000), vec![0, 1, 2]);
    }

    #[test]
    fn reached_deadline_is_refused() {
        let mut w = Wheel::new();
        drain(&mut w, 10);
        assert_eq!(w.insert(10, 7), Err(7));
        assert_eq!(w.insert(3, 7), Err(7));
    }

    #[test]
    fn far_deadline_wraps_and_fires_on_time() {
        let mut w = Wheel::new();
        let far = MAX_RANGE * 3 + 17;
        w.insert(far, 9).unwrap();
        assert!(drain(&mut w, far - 1).is_empty());
        assert_eq!(drain(&mut w, far), vec![9]);
    }

    #[test]
    fn remove_unlinks() {
        let mut w = Wheel::new();
        let a = w.insert(70, 1).unwrap();
        w.insert(70, 2).unwrap();
        assert_eq!(w.remove(a), 1);
        assert_eq!(w.next_expiration(), Some(64));
        assert_eq!(drain(&mut w, 100), vec![2]);
        assert!(w.is_empty());
    }
}
