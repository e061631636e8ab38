//! The sharded list of live tasks, for `all_tasks()` and for shutdown.
//!
//! A task is inserted before it is first scheduled and removed when it
//! completes (rule 4 in `task/mod.rs`); the entry owns one reference. Shards
//! are picked by task id, so concurrent spawns rarely meet on one lock.

use crossbeam_utils::CachePadded;
use slab::Slab;

use super::TaskRef;
use super::raw::RawTask;
use crate::loom::Mutex;

pub(crate) struct Registry {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    mask: usize,
}

#[derive(Default)]
struct Shard {
    tasks: Slab<RawTask>,
    closed: bool,
    /// Tasks ever inserted (for `RuntimeMetrics::spawned_total`), counted
    /// under the lock insert already holds.
    inserted: u64,
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
        let key = shard.tasks.insert(task);
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
        let removed = shard.tasks.try_remove(key);
        debug_assert!(removed == Some(*task), "registry key points at another task");
        removed.is_some()
    }

    /// References to every registered task.
    pub(crate) fn snapshot(&self) -> Vec<TaskRef> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock();
            for (_, task) in shard.tasks.iter() {
                task.ref_inc();
                out.push(TaskRef::from_raw(*task));
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
