//! The LSH band buckets in memory: band key → the earliest indexed slot with
//! that band, for tens of millions of entries at 8 bytes each.
//!
//! A hash map costs 9 bytes an entry at best and twice that after it doubles,
//! and while it grows the old and the new table are both resident: the
//! stage's bench measured 760 bytes a record at rest and a peak of 1,012 while
//! filling (37 bands a record). Here the bulk is one sorted array of
//! `key << 32 | slot` with a directory on the key's top bits (a cell per 8
//! entries), so a lookup reads a cache line or two; new entries go to a small
//! map that is merged into the array (in place, from the back) when full.
//!
//! Eviction is oldest first, so an entry is dead once its slot is below the
//! first slot still indexed: the caller says which slots are live, and dead
//! entries are dropped at the next merge instead of being searched for.

use std::collections::HashMap;

/// Entries the recent map holds before a merge: fills a 2^20-bucket table
/// exactly (9.4 MB), about 25,000 records' bands between merges.
const RECENT_CAP: usize = (1 << 20) / 8 * 7;
/// Average entries per directory cell: a lookup's binary search stays within
/// about two cache lines.
const PER_CELL: usize = 8;

use crate::near::KeyHash;

pub struct Buckets {
    /// Sorted by key, at most one entry per key.
    run: Vec<u64>,
    /// `dir[p]` = index in `run` of the first key whose top `dir_bits` bits are
    /// `>= p`.
    dir: Vec<u32>,
    dir_bits: u32,
    /// Entries since the last merge; keys absent from `run` (or dead there).
    recent: HashMap<u32, u32, KeyHash>,
    recent_cap: usize,
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets::with_recent_cap(RECENT_CAP)
    }
}

impl Buckets {
    /// Buckets whose recent map is merged every `cap` entries (small in tests).
    pub fn with_recent_cap(cap: usize) -> Buckets {
        Buckets {
            run: Vec::new(),
            dir: vec![0; 2],
            dir_bits: 0,
            recent: HashMap::default(),
            recent_cap: cap.max(1),
        }
    }

    /// Builds the buckets from `(key, slot)` pairs in slot order; for a key seen
    /// more than once the first (earliest) slot stays.
    pub fn build(pairs: Vec<u64>) -> Buckets {
        let mut b = Buckets {
            run: pairs,
            ..Buckets::default()
        };
        // Stable, so that the first of equal keys is the earliest slot.
        b.run.sort_by_key(|e| e >> 32);
        b.run.dedup_by_key(|e| *e >> 32);
        b.run.shrink_to_fit();
        b.index();
        b
    }

    /// Entries held (dead ones not yet merged away included).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.run.len() + self.recent.len()
    }

    /// The live slot for `key`, or else `slot` is recorded for it and `None`
    /// returned: one probe both finds the candidate and claims the bucket.
    pub fn get_or_insert(
        &mut self,
        key: u32,
        slot: u32,
        live: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        if let Some(&s) = self.recent.get(&key) {
            if live(s) {
                return Some(s);
            }
        } else if let Some(s) = self.find(key).filter(|s| live(*s)) {
            return Some(s);
        }
        self.recent.insert(key, slot);
        if self.recent.len() >= self.recent_cap {
            self.merge(&live);
        }
        None
    }

    /// The slot stored for `key` in the sorted run, live or not.
    fn find(&self, key: u32) -> Option<u32> {
        let p = (key as u64 >> (32 - self.dir_bits)) as usize;
        let (lo, hi) = (self.dir[p] as usize, self.dir[p + 1] as usize);
        let part = &self.run[lo..hi];
        part.binary_search_by_key(&key, |e| (e >> 32) as u32)
            .ok()
            .map(|i| part[i] as u32)
    }

    /// Folds the recent map into the run, dropping dead entries.
    fn merge(&mut self, live: &impl Fn(u32) -> bool) {
        self.run.retain(|e| live(*e as u32));
        let mut fresh: Vec<u64> = self
            .recent
            .drain()
            .filter(|(_, s)| live(*s))
            .map(|(k, s)| (k as u64) << 32 | s as u64)
            .collect();
        fresh.sort_unstable();
        // A key in both can only be dead in the run (a new entry is made only
        // when the run has none live), and the dead ones are gone by now.
        let old = self.run.len();
        // Exact growth: a large Vec grows by mremap, without a second copy
        // resident, where doubling would leave up to half of it unused.
        self.run.reserve_exact(fresh.len());
        self.run.resize(old + fresh.len(), 0);
        let (mut i, mut j, mut out) = (old, fresh.len(), old + fresh.len());
        while j > 0 {
            out -= 1;
            if i > 0 && self.run[i - 1] >> 32 > fresh[j - 1] >> 32 {
                self.run[out] = self.run[i - 1];
                i -= 1;
            } else {
                self.run[out] = fresh[j - 1];
                j -= 1;
            }
        }
        self.index();
    }

    fn index(&mut self) {
        let cells = (self.run.len() / PER_CELL).max(1);
        self.dir_bits = (usize::BITS - cells.leading_zeros() - 1).min(32);
        let shift = 64 - self.dir_bits;
        self.dir.clear();
        self.dir.resize((1 << self.dir_bits) + 1, 0);
        let mut at = 0usize;
        for (p, cell) in self.dir.iter_mut().enumerate() {
            // The top bits of a u64 shifted by 64 are none: cell 0 takes all.
            while at < self.run.len() && self.run[at].checked_shr(shift).unwrap_or(0) < p as u64 {
                at += 1;
            }
            *cell = at as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> u32 {
        i.wrapping_mul(0x9e37_79b9)
    }

    #[test]
    fn finds_the_earliest_slot_across_merges() {
        let mut b = Buckets::with_recent_cap(7);
        let all = |_: u32| true;
        for slot in 0..1000u32 {
            assert_eq!(b.get_or_insert(key(slot), slot, all), None);
        }
        for slot in 0..1000u32 {
            // A later record with the same band finds the first one.
            assert_eq!(b.get_or_insert(key(slot), 5000 + slot, all), Some(slot));
        }
        assert_eq!(b.len(), 1000);
        assert!(b.run.windows(2).all(|w| w[0] >> 32 < w[1] >> 32));
    }

    #[test]
    fn dead_entries_are_replaced_and_dropped() {
        let mut b = Buckets::with_recent_cap(16);
        for slot in 0..100u32 {
            b.get_or_insert(key(slot % 10), slot, |_| true);
        }
        // Slots below 50 left the index: keys seen first there are free again.
        let live = |s: u32| s >= 50;
        assert_eq!(b.get_or_insert(key(3), 200, live), None);
        assert_eq!(b.get_or_insert(key(3), 201, live), Some(200));
        b.merge(&live);
        assert_eq!(b.len(), 1);
        assert_eq!(b.find(key(3)), Some(200));
    }

    #[test]
    fn build_keeps_the_first_of_equal_keys() {
        let pairs = vec![
            (7u64 << 32) | 1,
            (3u64 << 32) | 2,
            (7u64 << 32) | 3,
            (u32::MAX as u64) << 32 | 4,
        ];
        let b = Buckets::build(pairs);
        assert_eq!(b.find(7), Some(1));
        assert_eq!(b.find(3), Some(2));
        assert_eq!(b.find(u32::MAX), Some(4));
        assert_eq!(b.find(8), None);
    }
}
