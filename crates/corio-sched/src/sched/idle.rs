//! Who is searching and who is asleep: the throttle that keeps idle workers
//! from all spinning on the same queues, and the wake-up protocol that never
//! loses a task.
//!
//! # Rules
//!
//! 1. `state` packs the number of searching workers (low bits) and of
//!    unparked workers (high bits). The sleeper list holds exactly the
//!    parked workers; both change together under the `sleepers` lock,
//!    except a searcher count change, which is a bare atomic.
//! 2. At most half of the workers search at once (`transition_to_searching`
//!    refuses beyond that; a single worker may always search).
//! 3. Whoever makes work visible (push to a queue, then a SeqCst fence) calls
//!    `worker_to_notify`, which wakes a sleeper only if nobody is searching
//!    and somebody sleeps. A woken worker starts out searching, so one wake
//!    at a time is in flight. (A worker pushing to its own queue in a
//!    runtime of one worker skips this: nobody else could run the task. A
//!    worker whose `park` runs the driver's dispatch defers it until `park`
//!    returns: it is awake then and runs the tasks itself if nobody comes.)
//! 4. A searcher that finds work stops searching; if it was the last one it
//!    wakes another worker (rule 3), which takes over the search.
//! 5. Every worker that parks looks at every queue once more after leaving
//!    the unparked count (a SeqCst fence between), and wakes a worker if it
//!    sees work. With rule 3 this is a Dekker pair: either the pusher sees
//!    this worker still unparked (or somebody searching) and wakes nobody,
//!    and then this worker sees the push; or the pusher sees it parked and
//!    wakes a sleeper. A searcher that finds work hands the search on
//!    (rule 4), and the last one to park re-checks like everyone else. (tokio
//!    re-checks only in the last searcher: a worker that was refused a search
//!    and parks then misses a push made while it still counted as awake, and
//!    if the pushing worker then blocks in a poll, the task waits for that
//!    poll. A loom model found it: `loom_blocked_worker_deque_is_stolen`.)

use crate::loom::{AtomicUsize, Mutex, Ordering};

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARK_SHIFT
}

impl Idle {
    pub(crate) fn new(workers: usize) -> Idle {
        assert!(workers < SEARCH_MASK, "too many workers: {workers}");
        Idle {
            state: AtomicUsize::new(workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            workers,
        }
    }

    fn should_wake(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        searching(state) == 0 && unparked(state) < self.workers
    }

    /// Rule 3: the worker to wake, if one should be woken. The caller must
    /// have made its work visible and issued a SeqCst fence before.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_wake() {
            return None;
        }
        // The woken worker counts as unparked and searching from now on.
        self.state.fetch_add((1 << UNPARK_SHIFT) | 1, Ordering::SeqCst);
        let worker = sleepers.pop();
        debug_assert!(worker.is_some(), "unparked < workers but nobody sleeps");
        worker
    }

    /// Rule 2.
    pub(crate) fn transition_to_searching(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        if 2 * searching(state) >= self.workers {
            return false;
        }
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Rule 4: `true` if the caller was the last searcher and must wake
    /// another worker.
    pub(crate) fn transition_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// Rule 5: leaves the unparked (and searching) count and joins the
    /// sleepers. The caller then re-checks the queues.
    pub(crate) fn transition_to_parked(&self, worker: usize, is_searching: bool) {
        let mut sleepers = self.sleepers.lock();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        self.state.fetch_sub(dec, Ordering::SeqCst);
        sleepers.push(worker);
    }

    /// A parked worker wakes up by itself (it found work, or shutdown).
    /// `true` if it was still listed as a sleeper.
    pub(crate) fn unpark_self(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.state.fetch_add(1 << UNPARK_SHIFT, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// `true` when every worker is parked (nobody unparked or searching).
    pub(crate) fn all_parked(&self) -> bool {
        unparked(self.state.load(Ordering::SeqCst)) == 0
    }

    /// `true` while the worker is on the sleeper list (nobody woke it).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().contains(&worker)
    }
}
