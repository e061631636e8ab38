//! The sharded list of live tasks, for `all_tasks()` and for shutdown.
//!
//! A task is inserted before it is first scheduled and removed when it
//! completes (rule 4 in `task/mod.rs`); the entry owns one reference. Shards
//! are picked by task id, so concurrent spawns rarely meet on one lock.
//!
//! Each shard keeps its tasks in a [`TaskSlab`]: one machine word per slot
//! (a task pointer, or the next free slot), where the `slab` crate's
//! `Slab<RawTask>` takes two. With a million idle tasks that is 8 bytes of
//! resident memory per task less (the memory row of `docs/benchmarks.md`).

use std::ptr::NonNull;

use crossbeam_utils::CachePadded;

use super::TaskRef;
use super::header::Header;
use super::raw::RawTask;
use crate::loom::Mutex;

pub(crate) struct Registry {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    mask: usize,
}

#[derive(Default)]
struct Shard {
    tasks: TaskSlab,
    closed: bool,
    /// Tasks ever inserted (for `RuntimeMetrics::spawned_total`), counted
    /// under the lock insert already holds.
    inserted: u64,
}

/// A slab of task pointers, one word per slot. An occupied slot holds the
/// header's address (even: headers are word-aligned); a free slot holds
/// `next << 1 | 1`, the next free slot in a LIFO free list ending at
/// [`TaskSlab::END`]. Safe code only: the addresses are exposed when stored
/// and turned back into pointers only for tasks the slab still holds.
pub(crate) struct TaskSlab {
    slots: Vec<usize>,
    /// The first free slot, or `END`.
    free: usize,
    len: usize,
}

impl Default for TaskSlab {
    fn default() -> TaskSlab {
        TaskSlab::new()
    }
}

impl TaskSlab {
    const END: usize = usize::MAX >> 1;

    pub(crate) fn new() -> TaskSlab {
        TaskSlab { slots: Vec::new(), free: Self::END, len: 0 }
    }

    /// Stores `task`; returns its key.
    pub(crate) fn insert(&mut self, task: NonNull<Header>) -> usize {
        let word = task.as_ptr().expose_provenance();
        debug_assert!(word & 1 == 0, "a task header is word-aligned");
        self.len += 1;
        if self.free == Self::END {
            self.slots.push(word);
            return self.slots.len() - 1;
        }
        let key = self.free;
        self.free = self.slots[key] >> 1;
        self.slots[key] = word;
        key
    }

    /// Removes `task` from slot `key`; `false` (and nothing changes) if
    /// `key` does not hold `task`.
    pub(crate) fn remove(&mut self, key: usize, task: NonNull<Header>) -> bool {
        if self.get(key) != Some(task) {
            return false;
        }
        self.slots[key] = self.free << 1 | 1;
        self.free = key;
        self.len -= 1;
        true
    }

    /// The task at `key`, if `key` holds one.
    pub(crate) fn get(&self, key: usize) -> Option<NonNull<Header>> {
        match self.slots.get(key) {
            Some(&word) if word & 1 == 0 => NonNull::new(std::ptr::with_exposed_provenance_mut(word)),
            _ => None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Every task held, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = NonNull<Header>> + '_ {
        self.slots
            .iter()
            .filter(|w| *w & 1 == 0)
            .filter_map(|&w| NonNull::new(std::ptr::with_exposed_provenance_mut(w)))
    }
}

impl Registry {
    pub(crate) fn new(workers: usize) -> Registry {
        // Under loom task ids (a process-wide counter) differ from one
        // explored execution to the next; one shard keeps the lock choice
        // deterministic.
        let n = if cfg!(corio_loom) { 1 } else { (workers * 4).next_power_of_two() };
        let shards = (0..n).map(|_| CachePadded::new(Mutex::new(Shard::default()))).collect();
        Registry { shards, mask: n - 1 }
    }

    fn shard(&self, task: &RawTask) -> &Mutex<Shard> {
        &self.shards[task.header().id.as_u64() as usize & self.mask]
    }

    /// Adds a task; the registry takes over one reference the caller made.
    /// `false` if the registry is closed (the runtime is shutting down): the
    /// caller keeps that reference and must cancel the task.
    pub(crate) fn insert(&self, task: RawTask) -> bool {
        let mut shard = self.shard(&task).lock();
        if shard.closed {
            return false;
        }
        shard.inserted += 1;
        let key = shard.tasks.insert(task.as_ptr());
        // SAFETY: rule 9: the registry entry, key included, is the registry's;
        // the key is only touched under this shard's lock.
        task.header().registry_key.with_mut(|k| unsafe { *k = key });
        true
    }

    /// Removes a completed task; `true` if it was registered, handing its
    /// reference to the caller.
    pub(crate) fn remove(&self, task: &RawTask) -> bool {
        let mut shard = self.shard(task).lock();
        // SAFETY: rule 9: the registry entry, key included, is the registry's;
        // the key is only touched under this shard's lock.
        let key = task.header().registry_key.with(|k| unsafe { *k });
        if key == usize::MAX {
            return false;
        }
        // A key is only ever this task's: it was set when the task was
        // inserted and the task is removed once (rule 4). The slab's check
        // keeps a broken caller from unregistering another task.
        let removed = shard.tasks.remove(key, task.as_ptr());
        debug_assert!(removed, "registry key points at another task");
        removed
    }

    /// References to every registered task.
    pub(crate) fn snapshot(&self) -> Vec<TaskRef> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock();
            for task in shard.tasks.iter().map(RawTask::from_header) {
                task.ref_inc();
                out.push(TaskRef::from_raw(task));
            }
        }
        out
    }

    /// Live tasks and tasks ever inserted (metrics rule 3).
    pub(crate) fn counts(&self) -> (usize, u64) {
        self.shards.iter().fold((0, 0), |(live, total), shard| {
            let shard = shard.lock();
            (live + shard.tasks.len(), total + shard.inserted)
        })
    }

    /// Closes every shard to new tasks and returns references to the tasks
    /// still registered.
    pub(crate) fn close(&self) -> Vec<TaskRef> {
        for shard in self.shards.iter() {
            shard.lock().closed = true;
        }
        self.snapshot()
    }
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use std::collections::HashMap;
    use std::ptr::NonNull;

    use proptest::prelude::*;

    use super::TaskSlab;
    use crate::task::header::Header;

    #[derive(Clone, Debug)]
    enum Op {
        Insert,
        /// Remove the n-th live key (modulo).
        Remove(usize),
        /// Remove from a key that holds no task.
        RemoveMissing(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![3 => Just(Op::Insert), 2 => any::<usize>().prop_map(Op::Remove), 1 => (0usize..64).prop_map(Op::RemoveMissing)]
    }

    /// Distinct, word-aligned, never-dereferenced addresses.
    fn fake(n: usize) -> NonNull<Header> {
        NonNull::new(std::ptr::without_provenance_mut::<Header>((n + 1) * 64)).unwrap()
    }

    proptest! {
        /// The slab against a `HashMap` model: every key maps to what was
        /// inserted under it until it is removed, `len` and `iter` agree, a
        /// freed key is reused before the slab grows, and removing from a free
        /// or unknown key, or with another task's pointer, does nothing.
        #[test]
        fn task_slab_matches_a_map(ops in proptest::collection::vec(op(), 0..300)) {
            let mut slab = TaskSlab::new();
            let mut model: HashMap<usize, NonNull<Header>> = HashMap::new();
            let mut next = 0;
            for op in ops {
                match op {
                    Op::Insert => {
                        let task = fake(next);
                        next += 1;
                        let had_free = model.len() < slab.slots.len();
                        let before = slab.slots.len();
                        let key = slab.insert(task);
                        prop_assert!(model.insert(key, task).is_none(), "key {} handed out twice", key);
                        prop_assert_eq!(slab.slots.len(), if had_free { before } else { before + 1 });
                    }
                    Op::Remove(n) if !model.is_empty() => {
                        let mut keys: Vec<_> = model.keys().copied().collect();
                        keys.sort_unstable();
                        let key = keys[n % keys.len()];
                        let task = model.remove(&key).unwrap();
                        prop_assert!(!slab.remove(key, fake(usize::MAX / 128)), "removed under another task's key");
                        prop_assert!(slab.remove(key, task));
                        prop_assert!(!slab.remove(key, task), "removed twice");
                    }
                    Op::Remove(_) => {}
                    Op::RemoveMissing(key) => {
                        // A key that is free or was never handed out holds nothing.
                        if !model.contains_key(&key) {
                            prop_assert!(!slab.remove(key, fake(key)));
                        }
                    }
                }
                prop_assert_eq!(slab.len(), model.len());
                for (&key, &task) in &model {
                    prop_assert_eq!(slab.get(key), Some(task));
                }
                let mut listed: Vec<_> = slab.iter().collect();
                let mut expected: Vec<_> = model.values().copied().collect();
                listed.sort_unstable();
                expected.sort_unstable();
                prop_assert_eq!(listed, expected);
            }
        }
    }
}
