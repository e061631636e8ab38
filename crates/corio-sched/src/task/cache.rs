//! A worker's cache of freed task cells.
//!
//! A burst of short tasks allocates thousands of cells and frees them all a
//! moment later. glibc gives the top of the thread's heap back to the kernel
//! as soon as that much is free at once (its trim), and the next burst
//! faults every page of it in again: in `spawn_local` (100,000 tasks) that
//! was a third of the time, all of it system time (docs/benchmarks.md). So a
//! worker keeps the cells of the tasks freed on its thread and hands them to
//! the next tasks of the same size it spawns, without `malloc` or `free`.
//!
//! The rules that keep it a cache and not a leak:
//!
//! 1. **Workers only.** A worker enables its thread's cache when it starts and
//!    empties it when it stops; on any other thread (`block_on`, blocking
//!    threads, a thread that outlives the runtime) a cell goes straight back
//!    to the allocator.
//! 2. **Exact layouts.** A cell is reused only for a cell of the same size and
//!    alignment, so no task ever gets more memory than its type needs. At
//!    most [`CLASSES`] layouts per worker; cells of any other go straight back.
//! 3. **Bounded.** A worker holds at most its cap in bytes; beyond that a
//!    freed cell goes straight back. The builder's `task_cell_cache` fixes
//!    the cap. By default it starts at [`DEFAULT_CAP`] and follows the
//!    bursts, up to [`DEFAULT_CEILING`]: a cell freed into a full cache
//!    raises the cap by its size, and is kept, as long as the current burst
//!    (the work since this worker last parked with nothing left to run)
//!    allocated at least that much that the cache did not have and has not
//!    kept a cell for since. So the cap grows only by what the burst had to
//!    ask the allocator for, the churn the cache is for: a worker that only
//!    frees (the tasks of another worker's spawns end here) misses nothing
//!    and keeps its cap; one that only allocates has nothing to keep. A
//!    grown cap comes down again after the bursts that follow (rule 5) or
//!    at the idle flush (rule 4). A fixed 16 MiB made a burst of 1,000,000 tasks give 90% of its
//!    cells back to glibc every round, which trimmed its heap and faulted it
//!    in again: a per-task cost 30% above that of 10,000 tasks (`scaling
//!    gather`, `docs/benchmarks.md`).
//! 4. **Given back when idle.** A worker that has been parked for [`IDLE`]
//!    without work frees everything it holds (it parks with that timeout
//!    while it holds anything). A busy worker keeps its cells, up to the cap:
//!    giving them back in the middle of bursts (an earlier version aged them
//!    out every second, busy or not) made `gather_1m` free and re-allocate a
//!    cap's worth of cells in some rounds and cost it up to 60%. The cap goes
//!    back to its base with them.
//! 5. **Trimmed to what the bursts use.** When a burst ends (the worker
//!    parks with nothing left to run) the cache keeps at most the most
//!    cells that burst had out at once (taken from the cache or allocated
//!    afresh, less those freed back on this worker since), or its base if
//!    that is more, and the cap comes down to match. The cells beyond go
//!    back, first from the layouts the burst did not ask for at all, at
//!    most [`TRIM_STEP`] cells and [`TRIM_BYTES`] per park, so parking
//!    stays quick and a large cache drains over the next parks. A worker that
//!    gathered 4M tasks once and then serves small bursts, never parked for
//!    a whole second, no longer keeps that gather's cells for good. A burst
//!    as large as the one before it trims nothing, so repeated bursts of one
//!    size keep their cells. With the builder's fixed cap the base is the
//!    cap, and nothing is trimmed.
//!
//! The structure is thread-local and single-threaded: no atomics, nothing to
//! model with loom. `tests::cache_matches_a_model` is its proptest model.
//! Under loom the cache is compiled out (cells come from the allocator), which
//! leaves the list types below unused there.
#![cfg_attr(corio_loom, allow(dead_code))]

use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::time::Duration;

/// Layouts one worker caches (rule 2).
pub(crate) const CLASSES: usize = 8;

/// Bytes one worker may hold by default (rule 3): a burst of 100,000
/// small tasks (112-byte cells) fits.
pub const DEFAULT_CAP: usize = 16 << 20;

/// The most a default cap grows to (rule 3): the cells of a burst of several
/// million small tasks.
pub const DEFAULT_CEILING: usize = 1 << 30;

/// How long a worker stays parked before it gives its cached cells back
/// (rule 4).
pub(crate) const IDLE: Duration = Duration::from_secs(1);

/// The most cells one park gives back under rule 5 (about 25 µs of `free`
/// for small cells).
pub(crate) const TRIM_STEP: usize = 1024;

/// The most bytes one park gives back under rule 5 (a few large cells).
pub(crate) const TRIM_BYTES: usize = 1 << 20;

/// A cached cell's first word: the next cell of its list.
struct FreeCell {
    next: Option<NonNull<FreeCell>>,
}

/// An intrusive list of free cells of one layout: costs no memory of its own.
#[derive(Default)]
struct List {
    head: Option<NonNull<FreeCell>>,
    len: usize,
}

impl List {
    /// # Safety
    ///
    /// `cell` is a free block of this list's layout, owned by the caller,
    /// which gives it up; the layout is at least a word, word-aligned.
    unsafe fn push(&mut self, cell: NonNull<u8>) {
        let cell = cell.cast::<FreeCell>();
        // SAFETY: the block is ours, large and aligned enough for a `FreeCell`
        // (every task cell starts with a word-aligned header of several words).
        unsafe { cell.write(FreeCell { next: self.head }) };
        self.head = Some(cell);
        self.len += 1;
    }

    fn pop(&mut self) -> Option<NonNull<u8>> {
        let cell = self.head?;
        // SAFETY: every cell on the list was written by `push` and is owned
        // by the list until popped.
        self.head = unsafe { cell.read() }.next;
        self.len -= 1;
        Some(cell.cast())
    }

    /// Gives one cell back to the allocator; `false` if the list is empty.
    ///
    /// # Safety
    ///
    /// Every cell on the list was allocated with `layout`.
    unsafe fn free_one(&mut self, layout: Layout) -> bool {
        let Some(cell) = self.pop() else { return false };
        // SAFETY: allocated by the global allocator with `layout` (the
        // caller's promise) and owned by the list, which lets go of it.
        unsafe { alloc::dealloc(cell.as_ptr(), layout) };
        true
    }
}

struct Class {
    layout: Layout,
    cells: List,
    /// Rule 5: the current burst asked for a cell of this layout.
    used: bool,
}

/// One worker's cached cells.
pub(crate) struct CellCache {
    classes: Vec<Class>,
    /// Bytes held in all classes.
    bytes: usize,
    /// Rule 3; zero while disabled.
    cap: usize,
    /// Rule 3: the cap after an idle flush, and the most it grows to.
    base: usize,
    ceiling: usize,
    /// Rule 3: bytes this burst allocated because no cell was cached, less
    /// the bytes kept since.
    missed: usize,
    /// Rule 5: bytes of cells this burst took (cached or not) less those
    /// freed on this worker since, never below zero.
    live: usize,
    /// Rule 5: the most `live` has been in this burst.
    demand: usize,
}

impl CellCache {
    pub(crate) const fn disabled() -> CellCache {
        CellCache { classes: Vec::new(), bytes: 0, cap: 0, base: 0, ceiling: 0, missed: 0, live: 0, demand: 0 }
    }

    /// Rule 1: caches from now on, with rule 3's cap.
    fn enable(&mut self, base: usize, ceiling: usize) {
        (self.cap, self.base, self.ceiling) = (base, base, ceiling.max(base));
    }

    /// Rules 3 and 5: the burst is over (the worker parks). Its misses no
    /// longer raise the cap; the cache keeps at most the most the burst had
    /// out at once (or the base), giving back a step's worth now: first
    /// cells of layouts the burst did not ask for, then any.
    fn end_burst(&mut self) {
        let target = self.base.max(self.demand);
        (self.missed, self.live, self.demand) = (0, 0, 0);
        let (mut cells, mut freed) = (0, 0);
        for any in [false, true] {
            for class in self.classes.iter_mut().filter(|c| any || !c.used) {
                while self.bytes > target && cells < TRIM_STEP && freed < TRIM_BYTES {
                    // SAFETY: every cell of a class was kept with its layout (`keep`).
                    if !unsafe { class.cells.free_one(class.layout) } {
                        break;
                    }
                    self.bytes -= class.layout.size();
                    (cells, freed) = (cells + 1, freed + class.layout.size());
                }
            }
        }
        self.classes.iter_mut().for_each(|c| c.used = false);
        // Down to the target, but never under what is still held (the rest
        // goes at the next parks).
        self.cap = self.cap.min(target.max(self.bytes));
    }

    /// A cell of `layout`, if one is cached. A miss counts for rule 3, and
    /// any take for rule 5's demand, only if the cell could be kept once
    /// freed (its layout has a class, or could get one).
    fn take(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        let size = layout.size();
        match self.classes.iter().position(|c| c.layout == layout) {
            Some(i) => {
                self.count_take(size);
                let class = &mut self.classes[i];
                class.used = true;
                if let Some(cell) = class.cells.pop() {
                    self.bytes -= size;
                    return Some(cell);
                }
            }
            None if self.classes.len() == CLASSES => return None,
            None => self.count_take(size),
        }
        self.missed = self.missed.saturating_add(size);
        None
    }

    /// Rule 5: a cell of `size` bytes is out.
    #[inline]
    fn count_take(&mut self, size: usize) {
        self.live = self.live.saturating_add(size);
        self.demand = self.demand.max(self.live);
    }

    /// Keeps `cell`; gives it back (`Err`) when rules 2 or 3 say no.
    ///
    /// # Safety
    ///
    /// `cell` was allocated by the global allocator with `layout`, and the
    /// caller gives it up.
    unsafe fn keep(&mut self, cell: NonNull<u8>, layout: Layout) -> Result<(), NonNull<u8>> {
        debug_assert!(
            layout.size() >= size_of::<FreeCell>() && layout.align() >= align_of::<FreeCell>(),
            "a task cell is at least a word, word-aligned"
        );
        let size = layout.size();
        let known = self.classes.iter().position(|c| c.layout == layout);
        if known.is_none() && self.classes.len() == CLASSES {
            return Err(cell);
        }
        // Rule 5: one cell less out, kept or not.
        self.live = self.live.saturating_sub(size);
        if self.bytes + size > self.cap {
            // Rule 3: room for a cell this burst had to allocate afresh.
            if self.missed < size || self.cap + size > self.ceiling {
                return Err(cell);
            }
            self.cap += size;
        }
        // Every kept cell uses up as much of the burst's misses, whether it
        // fit under the cap or grew it: the cap grows only for misses the
        // cache holds no cell for yet.
        self.missed = self.missed.saturating_sub(size);
        let class = match known {
            Some(i) => &mut self.classes[i],
            None => {
                self.classes.push(Class { layout, cells: List::default(), used: false });
                self.classes.last_mut().expect("just pushed")
            }
        };
        // SAFETY: the caller's promise; task cells are word-aligned and
        // several words long (`List::push`).
        unsafe { class.cells.push(cell) };
        self.bytes += size;
        Ok(())
    }

    /// Rule 4: gives every cell back to the allocator; the cap is back at
    /// its base.
    fn flush(&mut self) {
        for class in &mut self.classes {
            // SAFETY: every cell of a class was kept with its layout (`keep`),
            // and `free_one` pops each before freeing it, so none is freed twice.
            while unsafe { class.cells.free_one(class.layout) } {}
        }
        self.bytes = 0;
        (self.cap, self.missed, self.live, self.demand) = (self.base, 0, 0, 0);
    }

    /// Frees everything and stops caching.
    fn disable(&mut self) {
        self.flush();
        (self.cap, self.base, self.ceiling) = (0, 0, 0);
    }
}

impl Drop for CellCache {
    fn drop(&mut self) {
        self.disable();
    }
}

#[cfg(not(corio_loom))]
mod local {
    use std::cell::RefCell;

    use super::*;

    thread_local! {
        static CACHE: RefCell<CellCache> = const { RefCell::new(CellCache::disabled()) };
    }

    /// Runs `f` on this thread's cache, or returns `None` if it is in use
    /// (cannot happen: nothing in here calls out) or already destroyed
    /// (the thread is exiting).
    #[inline]
    fn with<R>(f: impl FnOnce(&mut CellCache) -> R) -> Option<R> {
        CACHE.try_with(|c| c.try_borrow_mut().ok().map(|mut c| f(&mut c))).ok().flatten()
    }

    /// Rule 1: this thread is a worker; rule 3: it caches up to `base`
    /// bytes, a cap that bursts may grow up to `ceiling`.
    pub(crate) fn enable(base: usize, ceiling: usize) {
        with(|c| c.enable(base, ceiling));
    }

    /// Rules 3 and 5: this worker's burst is over (it parks).
    #[inline]
    pub(crate) fn end_burst() {
        with(CellCache::end_burst);
    }

    /// Rule 1: the worker stops; everything cached goes back.
    pub(crate) fn disable() {
        with(CellCache::disable);
    }

    /// Memory for a cell of `layout`: a cached one, or a new allocation.
    #[inline]
    pub(crate) fn allocate(layout: Layout) -> NonNull<u8> {
        if let Some(Some(cell)) = with(|c| c.take(layout)) {
            return cell;
        }
        fresh(layout)
    }

    /// Gives back a cell's memory.
    ///
    /// # Safety
    ///
    /// `cell` came from [`allocate`] with this `layout`, its contents are
    /// dropped, and nothing uses it any more.
    #[inline]
    pub(crate) unsafe fn free(cell: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's promise; `allocate` uses the global allocator.
        let kept = with(|c| unsafe { c.keep(cell, layout) }.is_ok()).unwrap_or(false);
        if !kept {
            // SAFETY: as above, and the cache did not take it.
            unsafe { alloc::dealloc(cell.as_ptr(), layout) };
        }
    }

    /// Bytes cached on this thread (for `RuntimeMetrics::cached_cell_bytes`).
    #[inline]
    pub(crate) fn bytes() -> usize {
        with(|c| c.bytes).unwrap_or(0)
    }

    /// Rule 4: the worker has been idle long enough; everything goes back.
    pub(crate) fn flush() {
        with(CellCache::flush);
    }
}

#[cfg(corio_loom)]
mod local {
    use super::*;

    pub(crate) fn enable(_base: usize, _ceiling: usize) {}

    pub(crate) fn end_burst() {}

    pub(crate) fn disable() {}

    pub(crate) fn allocate(layout: Layout) -> NonNull<u8> {
        fresh(layout)
    }

    /// # Safety
    ///
    /// As the real one's.
    pub(crate) unsafe fn free(cell: NonNull<u8>, layout: Layout) {
        // SAFETY: allocated by `fresh` with `layout`, given up by the caller.
        unsafe { alloc::dealloc(cell.as_ptr(), layout) };
    }

    pub(crate) fn bytes() -> usize {
        0
    }

    pub(crate) fn flush() {}
}

pub(crate) use local::{allocate, bytes, disable, enable, end_burst, flush, free};

/// A new allocation of `layout` (never zero-sized: a cell has a header).
fn fresh(layout: Layout) -> NonNull<u8> {
    debug_assert!(layout.size() != 0);
    // SAFETY: `layout` has a non-zero size.
    NonNull::new(unsafe { alloc::alloc(layout) }).unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A block of `layout` from the allocator, as a freed cell would be.
    fn block(layout: Layout) -> NonNull<u8> {
        fresh(layout)
    }

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    fn enabled(cap: usize) -> CellCache {
        let mut cache = CellCache::disabled();
        cache.enable(cap, cap);
        cache
    }

    /// Frees a block the cache refused.
    fn give_back(refused: Result<(), NonNull<u8>>, layout: Layout) {
        if let Err(cell) = refused {
            // SAFETY: made by `block` with `layout`, refused by the cache.
            unsafe { alloc::dealloc(cell.as_ptr(), layout) };
        }
    }

    #[test]
    fn a_kept_cell_comes_back_for_its_layout_only() {
        let mut cache = enabled(1 << 20);
        let (small, big) = (layout(64), layout(128));
        let cell = block(small);
        // SAFETY: a block of `small`, given up.
        assert!(unsafe { cache.keep(cell, small) }.is_ok());
        assert_eq!(cache.bytes, 64);
        assert_eq!(cache.take(big), None);
        assert_eq!(cache.take(Layout::from_size_align(64, 16).unwrap()), None, "same size, other alignment");
        assert_eq!(cache.take(small), Some(cell));
        assert_eq!(cache.bytes, 0);
        give_back(Err(cell), small);
    }

    #[test]
    fn a_full_cache_and_a_ninth_layout_refuse() {
        let mut cache = enabled(256);
        for size in [64, 64, 64, 64] {
            // SAFETY: fresh blocks of their layout, given up.
            assert!(unsafe { cache.keep(block(layout(size)), layout(size)) }.is_ok());
        }
        let refused = block(layout(64));
        // SAFETY: as above.
        assert_eq!(unsafe { cache.keep(refused, layout(64)) }, Err(refused), "over the cap");
        give_back(Err(refused), layout(64));

        let mut cache = enabled(1 << 20);
        for size in (1..=CLASSES).map(|i| i * 16) {
            // SAFETY: as above.
            assert!(unsafe { cache.keep(block(layout(size)), layout(size)) }.is_ok());
        }
        let other = layout(1000);
        let refused = block(other);
        // SAFETY: as above.
        assert_eq!(unsafe { cache.keep(refused, other) }, Err(refused), "a layout beyond the classes");
        give_back(Err(refused), other);
    }

    #[test]
    fn the_cap_grows_to_keep_what_the_burst_allocated_afresh() {
        let l = layout(64);
        let mut cache = CellCache::disabled();
        cache.enable(128, 320);
        // A burst allocates four cells the cache lacks, then frees them: the
        // cap grows to keep all four.
        let cells: Vec<_> = (0..4).map(|_| (cache.take(l).is_none(), block(l))).collect();
        assert!(cells.iter().all(|(missed, _)| *missed));
        assert_eq!(cache.missed, 256);
        for (_, cell) in cells {
            // SAFETY: fresh blocks of `l`, given up.
            assert!(unsafe { cache.keep(cell, l) }.is_ok());
        }
        // Two fit under the base cap, the other two grew it: every kept cell
        // used up its share of the misses.
        assert_eq!((cache.bytes, cache.cap, cache.missed), (256, 256, 0));
        // A worker that only frees (another worker spawned the tasks) missed
        // nothing: past the cap its cells go back.
        let cell = block(l);
        // SAFETY: as above.
        assert_eq!(unsafe { cache.keep(cell, l) }, Err(cell));
        give_back(Err(cell), l);
        // Misses of a burst that ended no longer count.
        for _ in 0..4 {
            assert!(cache.take(l).is_some());
        }
        assert_eq!(cache.take(l), None);
        assert_eq!(cache.missed, 64);
        cache.end_burst();
        assert_eq!(cache.missed, 0);
        // Nor do misses of a layout the cache could never keep (all its
        // classes taken by others).
        for size in (1..CLASSES).map(|i| i * 8) {
            // SAFETY: as above.
            give_back(unsafe { cache.keep(block(layout(size)), layout(size)) }, layout(size));
        }
        assert_eq!(cache.take(layout(1000)), None);
        assert_eq!(cache.missed, 0);
        // Growth stops at the ceiling.
        cache.missed = 1 << 20;
        for _ in 0..6 {
            // SAFETY: as above.
            give_back(unsafe { cache.keep(block(l), l) }, l);
        }
        assert_eq!(cache.cap, 320);
        assert!(cache.bytes <= 320);
        // An idle flush gives the cells back and the cap returns to its base.
        cache.flush();
        assert_eq!((cache.bytes, cache.cap, cache.missed), (0, 128, 0));
    }

    #[test]
    fn parks_after_smaller_bursts_trim_the_cache_a_step_at_a_time() {
        let l = layout(64);
        let mut cache = CellCache::disabled();
        cache.enable(128, 1 << 30);
        // A burst of 3000 cells the cache lacks grows it to keep them all,
        // and a park after it trims nothing: the burst asked for that much.
        let n = 3000;
        let cells: Vec<_> = (0..n).map(|_| (cache.take(l), block(l)).1).collect();
        for cell in cells {
            // SAFETY: fresh blocks of `l`, given up.
            assert!(unsafe { cache.keep(cell, l) }.is_ok());
        }
        cache.end_burst();
        assert_eq!((cache.bytes, cache.cap), (n * 64, n * 64));
        // A burst of one cell: the next parks give back `TRIM_STEP` cells each
        // until the base is left, and the cap follows.
        let cell = cache.take(l).unwrap();
        // SAFETY: a cell of `l` from the cache, given back.
        unsafe { cache.keep(cell, l) }.unwrap();
        cache.end_burst();
        assert_eq!((cache.bytes, cache.cap), ((n - TRIM_STEP) * 64, (n - TRIM_STEP) * 64));
        cache.end_burst();
        assert_eq!(cache.bytes, (n - 2 * TRIM_STEP) * 64);
        cache.end_burst();
        assert_eq!((cache.bytes, cache.cap), (128, 128));
        // A burst as large as what is held trims nothing.
        let cells: Vec<_> = (0..2).map(|_| cache.take(l).unwrap()).collect();
        for cell in cells {
            // SAFETY: cells of `l` from the cache, given back.
            unsafe { cache.keep(cell, l) }.unwrap();
        }
        cache.end_burst();
        assert_eq!(cache.bytes, 128);
        // A long burst that never had more than one cell out at a time asks
        // for one cell, not for all it ever took.
        let big = layout(256);
        cache.missed = 1 << 20;
        for _ in 0..4 {
            // SAFETY: fresh blocks of `big`, given up.
            assert!(unsafe { cache.keep(block(big), big) }.is_ok());
        }
        for _ in 0..8 {
            let cell = cache.take(l).unwrap_or_else(|| block(l));
            // SAFETY: a cell of `l`, given up.
            give_back(unsafe { cache.keep(cell, l) }, l);
        }
        assert_eq!(cache.demand, 64);
        // Cells of a layout the burst did not ask for go first: the busy
        // class keeps its cells.
        let held = cache.bytes;
        cache.end_burst();
        assert_eq!(cache.classes[0].cells.len, 2, "the busy class was trimmed first");
        assert_eq!((held, cache.bytes, cache.cap), (128 + 4 * 256, 128, 128));
        // A fixed cap (base = ceiling) is never trimmed below itself.
        let mut fixed = enabled(1024);
        for _ in 0..16 {
            // SAFETY: fresh blocks of `l`, given up.
            unsafe { fixed.keep(block(l), l) }.unwrap();
        }
        fixed.end_burst();
        assert_eq!((fixed.bytes, fixed.cap), (1024, 1024));
    }

    #[test]
    fn a_flush_gives_everything_back_and_caching_goes_on() {
        let mut cache = enabled(1 << 20);
        for size in [64, 64, 128] {
            // SAFETY: fresh blocks of their layout, given up.
            unsafe { cache.keep(block(layout(size)), layout(size)) }.unwrap();
        }
        assert_eq!(cache.bytes, 256);
        cache.flush();
        assert_eq!(cache.bytes, 0);
        assert_eq!(cache.take(layout(64)), None);
        let cell = block(layout(64));
        // SAFETY: as above.
        assert!(unsafe { cache.keep(cell, layout(64)) }.is_ok(), "a flush does not disable");
        assert_eq!(cache.take(layout(64)), Some(cell));
        give_back(Err(cell), layout(64));
    }

    #[test]
    fn disabling_frees_everything_and_refuses_more() {
        let mut cache = enabled(1 << 20);
        for _ in 0..10 {
            // SAFETY: fresh blocks, given up.
            unsafe { cache.keep(block(layout(48)), layout(48)) }.unwrap();
        }
        cache.disable();
        assert_eq!(cache.bytes, 0);
        let cell = block(layout(48));
        // SAFETY: as above.
        assert_eq!(unsafe { cache.keep(cell, layout(48)) }, Err(cell));
        give_back(Err(cell), layout(48));
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Free a new block of layout class `n` into the cache.
        Keep(usize),
        /// Allocate a block of layout class `n` from the cache.
        Take(usize),
        /// The worker was idle long enough: give everything back.
        Flush,
        /// The worker parks: the burst is over.
        EndBurst,
    }

    fn op() -> impl Strategy<Value = Op> {
        // Ten layouts: more than the cache's classes.
        prop_oneof![
            4 => (0usize..10).prop_map(Op::Keep),
            3 => (0usize..10).prop_map(Op::Take),
            1 => Just(Op::Flush),
            1 => Just(Op::EndBurst),
        ]
    }

    proptest! {
        /// The cache against a model of rules 2-5: a take returns the most
        /// recently kept cell of its layout, keeps past the cap or past
        /// `CLASSES` layouts are refused (a layout seen once keeps its class
        /// after a flush), a keep past the cap grows it instead while the
        /// burst's unabsorbed misses cover the cell, never past the ceiling,
        /// a park forgets the misses and trims the cache (first the classes
        /// the burst did not take from, then any, each in the order they
        /// were made, most recent cell first) to the most the burst had out
        /// at once or the base, a flush empties every class and puts the
        /// cap back at its base, and the byte count is always the sum of what
        /// is held.
        #[test]
        fn cache_matches_a_model(
            base in 0usize..4096,
            headroom in 0usize..8192,
            ops in proptest::collection::vec(op(), 0..200),
        ) {
            let ceiling = base + headroom;
            let mut cache = CellCache::disabled();
            cache.enable(base, ceiling);
            let (mut cap, mut missed, mut live, mut demand) = (base, 0usize, 0usize, 0usize);
            // Every counted miss since the last flush, never forgotten at a
            // park: the cap may never have grown by more.
            let mut missed_since_flush = 0;
            // The classes in the order they were made, each with its cells
            // and whether the current burst took from it.
            let mut model: Vec<(Layout, Vec<NonNull<u8>>, bool)> = Vec::new();
            let mut bytes = 0;
            let layouts: Vec<Layout> = (0..10).map(|i| layout(16 + 24 * i)).collect();
            for op in ops {
                match op {
                    Op::Keep(i) => {
                        let l = layouts[i];
                        let cell = block(l);
                        let known = model.iter().position(|(m, _, _)| *m == l);
                        let has_class = known.is_some() || model.len() < CLASSES;
                        if has_class {
                            live = live.saturating_sub(l.size());
                        }
                        let under_cap = bytes + l.size() <= cap;
                        let grows = !under_cap && missed >= l.size() && cap + l.size() <= ceiling;
                        let fits = has_class && (under_cap || grows);
                        if fits {
                            if grows {
                                cap += l.size();
                            }
                            missed = missed.saturating_sub(l.size());
                        }
                        // SAFETY: a fresh block of `l`, given up.
                        let kept = unsafe { cache.keep(cell, l) };
                        prop_assert_eq!(kept.is_ok(), fits);
                        if fits {
                            match known {
                                Some(k) => model[k].1.push(cell),
                                None => model.push((l, vec![cell], false)),
                            }
                            bytes += l.size();
                        }
                        give_back(kept, l);
                    }
                    Op::Take(i) => {
                        let l = layouts[i];
                        let known = model.iter().position(|(m, _, _)| *m == l);
                        let expected = known.and_then(|k| model[k].1.pop());
                        let got = cache.take(l);
                        prop_assert_eq!(got, expected);
                        if let Some(k) = known {
                            model[k].2 = true;
                        }
                        if known.is_some() || model.len() < CLASSES {
                            live += l.size();
                            demand = demand.max(live);
                        }
                        match got {
                            Some(cell) => {
                                bytes -= l.size();
                                give_back(Err(cell), l);
                            }
                            None if known.is_some() || model.len() < CLASSES => {
                                missed += l.size();
                                missed_since_flush += l.size();
                            }
                            None => {}
                        }
                    }
                    Op::Flush => {
                        cache.flush();
                        model.iter_mut().for_each(|(_, cells, _)| cells.clear());
                        (bytes, cap, missed, live, demand, missed_since_flush) = (0, base, 0, 0, 0, 0);
                    }
                    Op::EndBurst => {
                        let before = bytes;
                        cache.end_burst();
                        let target = base.max(demand);
                        let (mut step, mut freed) = (0, 0);
                        for any in [false, true] {
                            for (l, cells, _) in model.iter_mut().filter(|(_, _, used)| any || !*used) {
                                while bytes > target && step < TRIM_STEP && freed < TRIM_BYTES && cells.pop().is_some() {
                                    bytes -= l.size();
                                    (step, freed) = (step + 1, freed + l.size());
                                }
                            }
                        }
                        model.iter_mut().for_each(|(_, _, used)| *used = false);
                        cap = cap.min(target.max(bytes));
                        (missed, live, demand) = (0, 0, 0);
                        prop_assert!(bytes <= before);
                    }
                }
                prop_assert_eq!(cache.bytes, bytes);
                prop_assert_eq!(cache.cap, cap);
                prop_assert_eq!(cache.missed, missed);
                prop_assert_eq!(cache.live, live);
                prop_assert_eq!(cache.demand, demand);
                prop_assert!(bytes <= cap && cap <= ceiling);
                prop_assert!(cap - base <= missed_since_flush, "grew past the burst's fresh allocations");
            }
            // Dropping the cache frees what it holds (a leak would show in
            // the leak test and under valgrind).
        }
    }
}
