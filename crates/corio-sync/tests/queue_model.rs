#![cfg(not(corio_loom))]
//! proptest: the queue family against VecDeque / Vec / BinaryHeap models under random
//! `put_nowait` / `get_nowait` / `task_done` sequences.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use corio_sync::{BaseQueue, GetError, PutError, Storage};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Put(u8),
    Get,
    TaskDone,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![any::<u8>().prop_map(Op::Put), Just(Op::Get), Just(Op::TaskDone)]
}

/// The reference: a plain container plus the asyncio bookkeeping.
trait Model: Default {
    fn push(&mut self, v: u8);
    fn pop(&mut self) -> Option<u8>;
    fn len(&self) -> usize;
}

impl Model for VecDeque<u8> {
    fn push(&mut self, v: u8) {
        self.push_back(v);
    }
    fn pop(&mut self) -> Option<u8> {
        self.pop_front()
    }
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

impl Model for Vec<u8> {
    fn push(&mut self, v: u8) {
        Vec::push(self, v);
    }
    fn pop(&mut self) -> Option<u8> {
        Vec::pop(self)
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

impl Model for BinaryHeap<Reverse<u8>> {
    fn push(&mut self, v: u8) {
        BinaryHeap::push(self, Reverse(v));
    }
    fn pop(&mut self) -> Option<u8> {
        BinaryHeap::pop(self).map(|Reverse(v)| v)
    }
    fn len(&self) -> usize {
        BinaryHeap::len(self)
    }
}

fn check<S: Storage<Item = u8>, M: Model>(maxsize: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let q = BaseQueue::<S>::new(maxsize);
    let mut model = M::default();
    let mut unfinished = 0usize;
    for op in ops {
        match *op {
            Op::Put(v) => {
                let full = maxsize > 0 && model.len() >= maxsize;
                let got = q.put_nowait(v);
                if full {
                    prop_assert_eq!(got, Err(PutError::Full(v)));
                } else {
                    prop_assert_eq!(got, Ok(()));
                    model.push(v);
                    unfinished += 1;
                }
            }
            Op::Get => {
                let want = model.pop().ok_or(GetError::Empty);
                prop_assert_eq!(q.get_nowait(), want);
            }
            Op::TaskDone => {
                let got = q.task_done();
                prop_assert_eq!(got.is_ok(), unfinished > 0);
                unfinished = unfinished.saturating_sub(1);
            }
        }
        prop_assert_eq!(q.qsize(), model.len());
        prop_assert_eq!(q.empty(), model.len() == 0);
        prop_assert_eq!(q.full(), maxsize > 0 && model.len() >= maxsize);
    }
    Ok(())
}

proptest! {
    #[test]
    fn queue_matches_vecdeque_model(maxsize in 0usize..6, ops in prop::collection::vec(op(), 0..200)) {
        check::<corio_sync::Fifo<u8>, VecDeque<u8>>(maxsize, &ops)?;
    }

    #[test]
    fn lifo_queue_matches_vec_model(maxsize in 0usize..6, ops in prop::collection::vec(op(), 0..200)) {
        check::<corio_sync::Lifo<u8>, Vec<u8>>(maxsize, &ops)?;
    }

    #[test]
    fn priority_queue_matches_binary_heap_model(maxsize in 0usize..6, ops in prop::collection::vec(op(), 0..200)) {
        check::<corio_sync::Priority<u8>, BinaryHeap<Reverse<u8>>>(maxsize, &ops)?;
    }
}
