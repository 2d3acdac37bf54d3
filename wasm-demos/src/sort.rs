//! Stable sorting through one instance of the standard library's sort.
//!
//! `slice::sort_by_key` is generic over the element and the key function: in WebAssembly every
//! call site brings about 4 KB of driftsort or ipnsort. Here the standard sort runs once, on
//! indexes compared through a `dyn` closure, and each call site only moves its elements into
//! the order found. The result is the one `sort_by_key` gives (equal keys keep their order).

use std::cmp::Ordering;

/// Sorts `items` by `key`, stably.
pub fn sort_by_key<T, K: Ord>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let order = sorted_indexes(items.len(), &|a, b| key(&items[a]).cmp(&key(&items[b])));
    reorder(items, order);
}

/// Sorts `items` in their order, stably.
pub fn sort<T: Ord>(items: &mut Vec<T>) {
    let order = sorted_indexes(items.len(), &|a, b| items[a].cmp(&items[b]));
    reorder(items, order);
}

/// Puts `items` in `order`, a permutation of their indexes.
fn reorder<T>(items: &mut Vec<T>, order: Vec<usize>) {
    let mut slots: Vec<Option<T>> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        slots.push(Some(item));
    }
    for i in order {
        if let Some(item) = slots[i].take() {
            items.push(item);
        }
    }
}

/// The indexes `0..len` in the order `compare` sorts them, stably.
fn sorted_indexes(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}
