//! loom models of corio-sched's lock-free protocols. Each model's name says
//! what it proves. Run them with the command in `docs/loom.md`.
//!
//! The task models use `Mock`, a scheduler whose run queue is a loom mutex
//! around a `VecDeque`, so that every interleaving of wake, poll, cancel,
//! join and completion is explored. `Mock` holds a loom `Arc`: a task cell
//! that is never freed keeps it alive, and loom reports the leak.

mod blocking;
mod metrics;
mod runtime;
mod sched;
mod task;

use std::collections::VecDeque;
use std::future::Future;

use crate::loom::{Arc, Mutex};
use crate::task::registry::Registry;
use crate::task::{Notified, RawTask, Schedule, Task};

struct MockInner {
    queue: Mutex<VecDeque<Notified>>,
    jobs: Mutex<VecDeque<Box<dyn FnOnce() + Send>>>,
    registry: Registry,
}

#[derive(Clone)]
struct Mock(Arc<MockInner>);

impl Mock {
    fn new() -> Mock {
        Mock(Arc::new(MockInner {
            queue: Mutex::new(VecDeque::new()),
            jobs: Mutex::new(VecDeque::new()),
            registry: Registry::new(1),
        }))
    }

    /// Spawns like `Scheduler::spawn`, but leaves the first queue entry queued.
    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (raw, notified, task) = crate::task::new_task(future, self.clone(), None);
        assert!(self.0.registry.insert(raw));
        self.schedule(notified);
        task
    }

    fn pop(&self) -> Option<Notified> {
        self.0.queue.lock().pop_front()
    }

    /// Runs queued tasks and callback jobs until both queues are empty.
    fn drain(&self) {
        loop {
            if let Some(task) = self.pop() {
                task.run();
                continue;
            }
            let job = self.0.jobs.lock().pop_front();
            match job {
                Some(job) => job(),
                None => break,
            }
        }
    }
}

impl Mock {
    /// Queues `task`; a task is never in the queue twice (task rule 1).
    fn push(&self, task: Notified) {
        let mut queue = self.0.queue.lock();
        let raw = task.raw().as_ptr();
        assert!(queue.iter().all(|t| t.raw().as_ptr() != raw), "a task was queued twice");
        queue.push_back(task);
    }
}

impl Schedule for Mock {
    fn schedule(&self, task: Notified) {
        self.push(task);
    }

    fn yield_now(&self, task: Notified) {
        self.push(task);
    }

    fn release(&self, task: &RawTask) -> bool {
        self.0.registry.remove(task)
    }

    fn spawn_callbacks(&self, job: Box<dyn FnOnce() + Send>) {
        self.0.jobs.lock().push_back(job);
    }
}

/// Counts drops of the value it is attached to.
struct DropCounter(Arc<crate::loom::AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, crate::loom::Ordering::SeqCst);
    }
}
