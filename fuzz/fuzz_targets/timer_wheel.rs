//! The timer wheel (`corio_io::time::wheel`) against a `BTreeMap` model:
//! inserts, cancels, advances (by any amount, or straight to the wheel's
//! `next_expiration`, as the driver does) and drains in fuzz-chosen orders.
//!
//! Checked after every step: the wheel fires exactly the entries whose
//! deadline is reached, never one early, in deadline order and, for equal
//! deadlines, in insertion order; a reached deadline is refused; `len`,
//! `deadline`, `get` and `elapsed` agree with the model; `next_expiration`
//! is after `elapsed` and never after the first deadline.
//!
//! `cargo +nightly fuzz run timer_wheel seeds/timer_wheel` (from this
//! directory). `crates/corio-io/tests/wheel_model.rs` runs a proptest
//! version of the same model.
#![no_main]

use std::collections::BTreeMap;

use corio_io::time::wheel::{Key, Wheel};
use libfuzzer_sys::fuzz_target;

struct Bytes<'a>(std::slice::Iter<'a, u8>);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        self.0.next().copied()
    }

    fn byte(&mut self) -> u8 {
        self.next().unwrap_or(0)
    }

    /// A tick distance on one of several scales, so short and very long
    /// (past the top level's two-year range) deadlines are both common.
    fn delta(&mut self) -> u64 {
        let scale = self.byte();
        let mut raw = 0u64;
        for _ in 0..5 {
            raw = (raw << 8) | u64::from(self.byte());
        }
        match scale % 8 {
            0 => raw % 4,
            1 | 2 => raw % 70,
            3 => raw % 4_200,
            4 => raw % 300_000,
            5 => raw % (1 << 24),
            6 => raw % (1 << 37),
            // Near a level boundary: 64^k plus or minus a little.
            _ => (1u64 << (6 * (1 + raw % 6))).wrapping_add(raw % 5).wrapping_sub(2),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data.iter());
    let mut wheel: Wheel<u64> = Wheel::new();
    // (deadline, seq) -> value; seq keeps insertion order for equal deadlines.
    let mut model: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    let mut live: Vec<(Key, (u64, u64))> = Vec::new();
    let mut now = 0u64;
    let mut seq = 0u64;
    let mut fired = Vec::new();
    while let Some(op) = b.next() {
        match op % 10 {
            0..=3 => {
                // Insert: relative to now, or at the deadline of a live
                // entry (equal deadlines), or just past it.
                let deadline = match (op / 10) % 4 {
                    1 if !live.is_empty() => live[usize::from(b.byte()) % live.len()].1.0,
                    2 if !live.is_empty() => live[usize::from(b.byte()) % live.len()].1.0 + 1,
                    _ => now.saturating_add(b.delta()),
                };
                seq += 1;
                match wheel.insert(deadline, seq) {
                    Ok(key) => {
                        assert!(deadline > now, "insert({deadline}) accepted at tick {now}");
                        model.insert((deadline, seq), seq);
                        live.push((key, (deadline, seq)));
                    }
                    Err(v) => {
                        assert_eq!(v, seq, "a refused insert hands its own value back");
                        assert!(deadline <= now, "insert({deadline}) refused at tick {now}");
                    }
                }
            }
            4 | 5 => {
                if !live.is_empty() {
                    let (key, mk) = live.swap_remove(usize::from(b.byte()) % live.len());
                    assert_eq!(wheel.deadline(key), mk.0);
                    assert_eq!(*wheel.get(key), mk.1);
                    assert_eq!(wheel.remove(key), mk.1);
                    model.remove(&mk);
                }
            }
            6 | 7 => advance(&mut wheel, &mut model, &mut live, &mut now, &mut fired, Some(b.delta())),
            8 => advance(&mut wheel, &mut model, &mut live, &mut now, &mut fired, None),
            _ => {
                if op >= 250 {
                    // Rare: drain everything (runtime shutdown).
                    let mut all = wheel.drain();
                    all.sort_unstable();
                    let mut expected: Vec<u64> = model.values().copied().collect();
                    expected.sort_unstable();
                    assert_eq!(all, expected, "drain returns every waiting entry");
                    model.clear();
                    live.clear();
                } else if let Some(&(key, mk)) = live.get(usize::from(b.byte()) % live.len().max(1)) {
                    assert_eq!(wheel.deadline(key), mk.0);
                    assert_eq!(*wheel.get(key), mk.1);
                }
            }
        }
        assert_eq!(wheel.len(), model.len());
        assert_eq!(wheel.is_empty(), model.is_empty());
        match (wheel.next_expiration(), model.keys().next()) {
            (None, None) => {}
            (Some(next), Some(&(first, _))) => {
                assert!(next > wheel.elapsed(), "next_expiration {next} not after elapsed {}", wheel.elapsed());
                assert!(next <= first, "next_expiration {next} after the first deadline {first}");
            }
            (next, first) => panic!("next_expiration {next:?} with first deadline {first:?}"),
        }
    }
});

/// Polls the wheel to `now + delta`, or (`None`) to its `next_expiration`,
/// and checks what fired against the model.
fn advance(
    wheel: &mut Wheel<u64>,
    model: &mut BTreeMap<(u64, u64), u64>,
    live: &mut Vec<(Key, (u64, u64))>,
    now: &mut u64,
    fired: &mut Vec<u64>,
    delta: Option<u64>,
) {
    let target = match delta {
        Some(d) => now.saturating_add(d),
        None => match wheel.next_expiration() {
            Some(t) => t,
            None => return,
        },
    };
    // Polling to a tick already passed is a no-op for the model.
    *now = (*now).max(target);
    fired.clear();
    wheel.poll(target, fired);
    assert_eq!(wheel.elapsed(), *now);
    let due: Vec<(u64, u64)> = model.range(..(*now + 1, 0)).map(|(k, _)| *k).collect();
    let expected: Vec<u64> = due.iter().map(|k| model.remove(k).expect("key from the model")).collect();
    assert_eq!(*fired, expected, "fired at tick {now}: wheel vs model (deadline order, then insertion order)");
    live.retain(|(_, mk)| model.contains_key(mk));
}
