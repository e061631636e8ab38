//! The orders a queue can hand its items out in.

use core::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

mod sealed {
    pub trait Sealed {}
}

/// Where a [`BaseQueue`](super::BaseQueue) keeps its items; decides which comes out first.
///
/// Implemented by [`Fifo`], [`Lifo`] and [`Priority`] only.
pub trait Storage: sealed::Sealed + Default {
    /// The item type.
    type Item;
    /// Stores an item.
    fn push(&mut self, item: Self::Item);
    /// Removes the item that comes out next.
    fn pop(&mut self) -> Option<Self::Item>;
    /// How many items are stored.
    fn len(&self) -> usize;
    /// Whether no item is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Stores an item that was handed to a getter that was then cancelled. It was taken before
    /// every stored item was put, so it goes where that order places it.
    fn push_returned(&mut self, item: Self::Item);
}

/// First in, first out ([`Queue`](super::Queue)).
#[derive(Debug)]
pub struct Fifo<T>(VecDeque<T>);

/// Last in, first out ([`LifoQueue`](super::LifoQueue)).
#[derive(Debug)]
pub struct Lifo<T>(Vec<T>);

/// Smallest first ([`PriorityQueue`](super::PriorityQueue)).
#[derive(Debug)]
pub struct Priority<T: Ord>(BinaryHeap<Reverse<T>>);

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Self(VecDeque::new())
    }
}

impl<T> Default for Lifo<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: Ord> Default for Priority<T> {
    fn default() -> Self {
        Self(BinaryHeap::new())
    }
}

impl<T> sealed::Sealed for Fifo<T> {}
impl<T> sealed::Sealed for Lifo<T> {}
impl<T: Ord> sealed::Sealed for Priority<T> {}

impl<T> Storage for Fifo<T> {
    type Item = T;
    #[inline]
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push_returned(&mut self, item: T) {
        // Older than everything stored: it comes out first.
        self.0.push_front(item);
    }
}

impl<T> Storage for Lifo<T> {
    type Item = T;
    #[inline]
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push_returned(&mut self, item: T) {
        // Older than everything stored: it comes out last.
        self.0.insert(0, item);
    }
}

impl<T: Ord> Storage for Priority<T> {
    type Item = T;
    #[inline]
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push_returned(&mut self, item: T) {
        self.push(item);
    }
}
