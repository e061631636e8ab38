//! Done callbacks (rule 8 of `task/mod.rs`): registration, removal, and
//! the drainer job that runs them in registration order on the runtime.

use super::TaskRef;
use super::cell::{Callback, Cold};
use super::raw::RawTask;
use super::state::{CALLBACKS, COMPLETE};
use crate::loom::MutexGuard;

impl RawTask {
    /// Registers a done callback (rule 8).
    pub(crate) fn add_done_callback(self, id: u64, f: Callback) {
        let mut cold = self.trailer().cold_mut();
        cold.callbacks.push_back((id, f));
        if !cold.fired {
            let prev = self.header().state.set_callbacks();
            let completer_saw_none = prev.has(COMPLETE) && !prev.has(CALLBACKS);
            if !completer_saw_none {
                return;
            }
            // The completer did not see CALLBACKS: firing is ours.
            cold.fired = true;
        }
        self.start_drainer(cold);
    }

    /// Removes a callback that has not run. The closure is dropped after
    /// the cold lock is released: its destructor is user code and may call
    /// back into this task (`name()`).
    pub(crate) fn remove_done_callback(self, id: u64) -> bool {
        let removed = {
            let mut cold = self.trailer().cold_mut();
            cold.callbacks.iter().position(|(cb, _)| *cb == id).and_then(|i| cold.callbacks.remove(i))
        };
        removed.is_some()
    }

    /// Rule 8, the completer's side.
    pub(crate) fn fire_callbacks(self) {
        let mut cold = self.trailer().cold_mut();
        cold.fired = true;
        self.start_drainer(cold);
    }

    /// Rule 8: hands one drainer job to the scheduler unless one is queued.
    fn start_drainer(self, mut cold: MutexGuard<'_, Cold>) {
        if cold.draining || cold.callbacks.is_empty() {
            return;
        }
        cold.draining = true;
        drop(cold);
        self.ref_inc();
        let task = TaskRef::from_raw(self);
        let job = Box::new(move || task.raw().drain_callbacks(&task));
        let spawn = self.header().vtable.spawn_callbacks;
        // SAFETY: rules 8 and 9: the cell is alive: the job holds a reference through `task`.
        unsafe { spawn(self.as_ptr(), job) }
    }

    /// The drainer job: runs callbacks in order until none is left.
    fn drain_callbacks(self, task: &TaskRef) {
        loop {
            let next = {
                let mut cold = self.trailer().cold_mut();
                let next = cold.callbacks.pop_front();
                if next.is_none() {
                    cold.draining = false;
                }
                next
            };
            let Some((_, callback)) = next else { return };
            // A panicking callback is reported; the rest still run.
            crate::fault::guard(
                || format!("a done callback of task '{}' (id {})", task.name(), task.id()),
                || callback(task),
            );
        }
    }
}
