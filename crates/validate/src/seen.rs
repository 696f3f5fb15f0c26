//! [`Seen`]: the set behind the duplicate checks.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::Hash;

/// Past this many entries a [`Seen`] moves them into a hash set.
const SMALL: usize = 16;

/// A set for the duplicate checks (V204, V220, V224, V403, V907, the name
/// list):
/// a vector scanned in order while it is small, since a request names a
/// handful of things and hashing them would cost more than comparing, and
/// a hash set past [`SMALL`] entries, so that the thousands of names,
/// attributes or extensions a hostile request can hold are not compared
/// pairwise.
pub(crate) struct Seen<T> {
    items: Vec<T>,
    set: Option<HashSet<T>>,
}

impl<T: Eq + Hash> Seen<T> {
    pub(crate) fn new() -> Seen<T> {
        Seen {
            items: Vec::new(),
            set: None,
        }
    }

    /// Adds `x`: `false` when it was there already.
    pub(crate) fn insert(&mut self, x: T) -> bool {
        if let Some(set) = &mut self.set {
            return set.insert(x);
        }
        if self.items.contains(&x) {
            return false;
        }
        self.items.push(x);
        if self.items.len() > SMALL {
            self.set = Some(self.items.drain(..).collect());
        }
        true
    }

    pub(crate) fn contains<Q>(&self, x: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        match &self.set {
            Some(set) => set.contains(x),
            None => self.items.iter().any(|i| i.borrow() == x),
        }
    }
}

impl<T: Eq + Hash> FromIterator<T> for Seen<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Seen<T> {
        let mut seen = Seen::new();
        for x in iter {
            seen.insert(x);
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The same answers as a hash set, below and past the switch.
        #[test]
        fn seen_is_a_set(xs in proptest::collection::vec(0u8..40, 0..80), probe in 0u8..40) {
            let (mut seen, mut set) = (Seen::new(), HashSet::new());
            for x in xs {
                proptest::prop_assert_eq!(seen.insert(x), set.insert(x));
                proptest::prop_assert_eq!(seen.contains(&probe), set.contains(&probe));
            }
        }
    }
}
