//! The timer wheel against a `BTreeMap` model: inserts, cancels and
//! advances in random orders fire the same timers in the same order.
#![cfg(not(corio_loom))]

use std::collections::BTreeMap;

use corio_io::time::wheel::{Key, Wheel};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(u64),
    Cancel(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop_oneof![0u64..70, 0u64..5000, 0u64..300_000, 0u64..(1 << 38)].prop_map(Op::Insert),
        2 => any::<usize>().prop_map(Op::Cancel),
        3 => prop_oneof![0u64..10, 0u64..200, 0u64..100_000, 0u64..(1 << 37)].prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn wheel_matches_a_btreemap_model(ops in proptest::collection::vec(op(), 1..200)) {
        let mut wheel: Wheel<u64> = Wheel::new();
        // (deadline, seq) -> id; seq keeps insertion order for equal deadlines.
        let mut model: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        let mut live: Vec<(Key, (u64, u64))> = Vec::new();
        let mut now = 0u64;
        let mut seq = 0u64;
        for op in ops {
            match op {
                Op::Insert(delta) => {
                    let deadline = now.saturating_add(delta);
                    seq += 1;
                    match wheel.insert(deadline, seq) {
                        Ok(key) => {
                            prop_assert!(deadline > now);
                            model.insert((deadline, seq), seq);
                            live.push((key, (deadline, seq)));
                        }
                        Err(v) => {
                            prop_assert_eq!(v, seq);
                            prop_assert!(deadline <= now);
                        }
                    }
                }
                Op::Cancel(i) => {
                    if !live.is_empty() {
                        let (key, mk) = live.swap_remove(i % live.len());
                        prop_assert_eq!(wheel.deadline(key), mk.0);
                        prop_assert_eq!(wheel.remove(key), mk.1);
                        model.remove(&mk);
                    }
                }
                Op::Advance(delta) => {
                    now = now.saturating_add(delta);
                    if let (Some(next), Some((&(first, _), _))) = (wheel.next_expiration(), model.iter().next()) {
                        prop_assert!(next <= first, "next_expiration {} after the first deadline {}", next, first);
                    }
                    let mut fired = Vec::new();
                    wheel.poll(now, &mut fired);
                    let due: Vec<_> = model.range(..(now + 1, 0)).map(|(k, v)| (*k, *v)).collect();
                    for (k, _) in &due {
                        model.remove(k);
                    }
                    let expected: Vec<u64> = due.into_iter().map(|(_, v)| v).collect();
                    prop_assert_eq!(&fired, &expected);
                    live.retain(|(_, mk)| model.contains_key(mk));
                }
            }
            prop_assert_eq!(wheel.len(), model.len());
        }
    }
}
