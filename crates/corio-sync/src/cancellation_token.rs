//! [`CancellationToken`]: a tree of cancellation flags with async waiting.
//!
//! # Protocol
//!
//! Each token points at a node; every node has its own lock. A node holds its parent (an
//! `Arc`) and its children (`Arc`s), plus the number of token handles pointing at it.
//!
//! 1. Locks are taken top-down only: a parent before its child, a child before its own
//!    children. Cancelling holds one node's lock at a time.
//! 2. `cancelled` is set once, under the node's lock, and never cleared. A child is added to a
//!    parent only under the parent's lock and only if the parent is not cancelled; otherwise it
//!    is born cancelled. So every child is either cancelled by the parent's cancel or sees it.
//! 3. Cancelling a node takes its children list and cancels each child; a child cancelled that
//!    way also drops its parent link, so it is out of the tree.
//! 4. When the last handle of a node is dropped, the node leaves the tree: under its parent's
//!    lock and its own, it is removed from the parent (O(1): it knows its index) and its
//!    children move up to the parent, so cancelling the parent still reaches them. A root's
//!    children become roots. This breaks every parent/child `Arc` cycle, so dropped tokens
//!    never accumulate in a parent.
//! 5. If the parent is already cancelled when a node leaves, its cancel is under way and will
//!    take this node out (rule 3); leaving does nothing then.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::loom::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering};
use crate::waiters::{WaitList, Waitable, Waiter, WakeList};

/// A cancellation flag shared by its clones; child tokens are cancelled with their parent.
///
/// ```
/// # use corio_sync::CancellationToken;
/// let parent = CancellationToken::new();
/// let child = parent.child_token();
/// parent.cancel();
/// assert!(child.is_cancelled());
/// ```
pub struct CancellationToken {
    node: Arc<Node>,
}

/// Cancels its token when dropped, unless disarmed.
#[must_use = "the token is cancelled at once when the guard is dropped"]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

/// The future of [`CancellationToken::cancelled`].
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellation<'a> {
    waiter: Waiter<'a, Node>,
}

pub(crate) struct Node {
    /// Set once under `inner`'s lock (rule 2); read without it by `is_cancelled`.
    cancelled: AtomicBool,
    /// This node's index in its parent's `children`; written only under the parent's lock.
    index: AtomicUsize,
    inner: Mutex<NodeState>,
}

pub(crate) struct NodeState {
    parent: Option<Arc<Node>>,
    children: Vec<Arc<Node>>,
    handles: usize,
    waiters: WaitList<(), ()>,
}

impl Node {
    fn new(parent: Option<Arc<Node>>, index: usize, cancelled: bool) -> Arc<Self> {
        Arc::new(Self {
            cancelled: AtomicBool::new(cancelled),
            index: AtomicUsize::new(index),
            inner: Mutex::new(NodeState { parent, children: Vec::new(), handles: 1, waiters: WaitList::new() }),
        })
    }

    /// Whether cancelled; callers holding `inner`'s lock may rely on it exactly.
    fn is_cancelled(&self) -> bool {
        // ORDERING: Acquire pairs with the Release store in `cancel`, so a task that sees the
        // flag also sees what the canceller did before cancelling.
        self.cancelled.load(Ordering::Acquire)
    }
}

impl CancellationToken {
    /// A new, uncancelled root token.
    pub fn new() -> Self {
        Self { node: Node::new(None, 0, false) }
    }

    /// Cancels this token and all its descendants, waking everyone waiting on them.
    pub fn cancel(&self) {
        let mut stack = vec![(self.node.clone(), false)];
        while let Some((node, detach)) = stack.pop() {
            let mut wake = WakeList::new();
            let mut inner = node.inner.lock();
            if detach {
                // Rule 3: it was taken out of its parent's list.
                inner.parent = None;
            }
            if !node.is_cancelled() {
                // ORDERING: Release pairs with the Acquire of `is_cancelled`.
                node.cancelled.store(true, Ordering::Release);
                inner.waiters.notify_all(|()| (), &mut wake);
                stack.extend(inner.children.drain(..).map(|c| (c, true)));
            }
            drop(inner);
            wake.wake_all();
        }
    }

    /// Whether this token was cancelled (directly or through an ancestor).
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// Waits until the token is cancelled.
    pub fn cancelled(&self) -> WaitForCancellation<'_> {
        WaitForCancellation { waiter: Waiter::new(&self.node) }
    }

    /// A new token cancelled when this one is (but not the other way round).
    pub fn child_token(&self) -> CancellationToken {
        let mut inner = self.node.inner.lock();
        // Rule 2.
        let node = if self.node.is_cancelled() {
            Node::new(None, 0, true)
        } else {
            let child = Node::new(Some(self.node.clone()), inner.children.len(), false);
            inner.children.push(child.clone());
            child
        };
        CancellationToken { node }
    }

    /// A guard that cancels this token when dropped.
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }

    /// How many children this token's node keeps (live child nodes; for leak tests).
    #[doc(hidden)]
    pub fn child_count(&self) -> usize {
        self.node.inner.lock().children.len()
    }
}

/// Rule 4: takes a node whose last handle is gone out of the tree.
fn leave_tree(node: &Arc<Node>) {
    loop {
        let parent = node.inner.lock().parent.clone();
        let Some(parent) = parent else {
            // A root (or a node already out): its children become roots.
            let mut inner = node.inner.lock();
            for child in inner.children.drain(..) {
                child.inner.lock().parent = None;
            }
            return;
        };
        let mut p = parent.inner.lock();
        let mut inner = node.inner.lock();
        if !inner.parent.as_ref().is_some_and(|x| Arc::ptr_eq(x, &parent)) {
            // Re-parented or cancelled out meanwhile: start over with the new parent.
            continue;
        }
        if parent.is_cancelled() {
            // Rule 5.
            return;
        }
        inner.parent = None;
        // ORDERING: `index` is only accessed under the parent's lock, which we hold.
        let idx = node.index.load(Ordering::Relaxed);
        let removed = p.children.swap_remove(idx);
        debug_assert!(Arc::ptr_eq(&removed, node));
        if let Some(moved) = p.children.get(idx) {
            // ORDERING: under the parent's lock, as above.
            moved.index.store(idx, Ordering::Relaxed);
        }
        for child in inner.children.drain(..) {
            child.inner.lock().parent = Some(parent.clone());
            // ORDERING: under the (new) parent's lock.
            child.index.store(p.children.len(), Ordering::Relaxed);
            p.children.push(child);
        }
        drop(inner);
        drop(p);
        drop(removed);
        return;
    }
}

impl Clone for CancellationToken {
    fn clone(&self) -> Self {
        self.node.inner.lock().handles += 1;
        Self { node: self.node.clone() }
    }
}

impl Drop for CancellationToken {
    fn drop(&mut self) {
        let mut inner = self.node.inner.lock();
        inner.handles -= 1;
        if inner.handles == 0 {
            drop(inner);
            leave_tree(&self.node);
        }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        Self::new()
    }
}

impl Waitable for Node {
    type State = NodeState;
    type Wait = ();
    type Grant = ();

    fn state(&self) -> &Mutex<NodeState> {
        &self.inner
    }

    fn list(state: &mut NodeState) -> &mut WaitList<(), ()> {
        &mut state.waiters
    }

    fn give_back(&self, _: &mut NodeState, _: (), _: &mut WakeList) -> Option<()> {
        // Cancellation wakes every waiter; nobody to pass this on to.
        None
    }
}

impl Future for WaitForCancellation<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let node = self.waiter.primitive();
        self.waiter.poll(cx, |_, _| if node.is_cancelled() { Ok(()) } else { Err(()) }, |()| ())
    }
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token.take().expect("DropGuard token taken twice")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            token.cancel();
        }
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken").field("is_cancelled", &self.is_cancelled()).finish()
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard").field("token", &self.token).finish()
    }
}

impl fmt::Debug for WaitForCancellation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellation").finish_non_exhaustive()
    }
}
