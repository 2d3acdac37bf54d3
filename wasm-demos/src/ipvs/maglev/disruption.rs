//! How much of the table moves when the backend set changes (the paper's resilience evaluation).

/// The entries that differ between two tables over the same M, compared by backend name.
///
/// `minimum` counts the changes no table could avoid: the old entries of removed backends, plus
/// the new entries of added backends. Maglev usually changes more than that (the paper's
/// resilience figure), because the turn order shifts the later claims of surviving backends.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Disruption {
    /// Entries whose backend differs between the two tables.
    pub changed: u32,
    /// `changed / M`.
    pub changed_share: f64,
    /// Entries that had to change: old entries of removed backends and new entries of added
    /// backends.
    pub minimum: u32,
    /// `minimum / M`.
    pub minimum_share: f64,
}

impl Disruption {
    /// Compares `old` (owners indexing `old_names`) with `new` (owners indexing `new_names`);
    /// both tables have the same length M ≥ 1 and every owner index is in range.
    pub(crate) fn between(
        old: &[u32],
        old_names: &[&str],
        new: &[u32],
        new_names: &[&str],
    ) -> Self {
        let mut new_index: Vec<(&str, u32)> =
            new_names.iter().enumerate().map(|(i, name)| (*name, i as u32)).collect();
        crate::sort::sort(&mut new_index);
        let mut old_set: Vec<&str> = old_names.to_vec();
        crate::sort::sort(&mut old_set);
        // For each old backend, its index in the new list (the last, for a repeated name), if
        // it survived.
        let old_to_new: Vec<Option<u32>> = old_names
            .iter()
            .map(|name| {
                let end = new_index.partition_point(|(n, _)| n <= name);
                end.checked_sub(1).map(|i| new_index[i]).filter(|(n, _)| n == name).map(|(_, i)| i)
            })
            .collect();
        let added: Vec<bool> =
            new_names.iter().map(|name| old_set.binary_search(name).is_err()).collect();
        let mut changed = 0u32;
        let mut minimum = 0u32;
        for (&o, &n) in old.iter().zip(new) {
            let survivor = old_to_new.get(o as usize).copied().flatten();
            if survivor != Some(n) {
                changed += 1;
            }
            let removed = survivor.is_none();
            let gained = added.get(n as usize).copied().unwrap_or(false);
            if removed || gained {
                minimum += 1;
            }
        }
        let m = f64::from(u32::try_from(old.len()).unwrap_or(u32::MAX).max(1));
        Self {
            changed,
            changed_share: f64::from(changed) / m,
            minimum,
            minimum_share: f64::from(minimum) / m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_b1_from_the_paper_table_changes_the_minimum_plus_one() {
        // B1 B0 B1 B0 B2 B2 B0 → B0 B0 B0 B0 B2 B2 B2: slots 0 and 2 had to move; slot 6 also did.
        let d = Disruption::between(
            &[1, 0, 1, 0, 2, 2, 0],
            &["B0", "B1", "B2"],
            &[0, 0, 0, 0, 1, 1, 1],
            &["B0", "B2"],
        );
        assert_eq!((d.changed, d.minimum), (3, 2));
        assert_eq!(d.changed_share, 3.0 / 7.0);
        assert_eq!(d.minimum_share, 2.0 / 7.0);
    }

    #[test]
    fn adding_a_backend_counts_its_new_entries_as_the_minimum() {
        let d = Disruption::between(&[0, 0, 0], &["a"], &[0, 1, 0], &["a", "b"]);
        assert_eq!((d.changed, d.minimum), (1, 1));
    }
}
