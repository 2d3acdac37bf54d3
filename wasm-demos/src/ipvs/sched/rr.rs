//! Round-robin (`ip_vs_rr.c`).
//!
//! `sched_data` is a cursor into the list: the last picked destination, or the list head.
//! A pick scans circularly from the destination after the cursor and takes the first one with
//! weight > 0 and OVERLOAD clear. Adding a destination leaves the cursor alone; deleting the
//! cursor's destination moves the cursor to its predecessor (`ip_vs_rr_del_dest`).

use crate::ipvs::dest::RealServer;

/// The rr cursor: `None` is the list head, `Some(i)` the destination at position `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RrState {
    /// Position of the last picked destination, or `None` for the head.
    pub cursor: Option<usize>,
}

impl RrState {
    /// `ip_vs_rr_schedule`: at most two passes, stopping when the scan is back at the cursor.
    pub fn schedule(&mut self, list: &[RealServer]) -> Option<usize> {
        let last = self.cursor.filter(|&c| c < list.len());
        let mut start = last.map_or(0, |c| c + 1);
        for pass in 0..2 {
            for (i, dest) in list.iter().enumerate().skip(start) {
                if dest.is_eligible() {
                    self.cursor = Some(i);
                    return Some(i);
                }
                if Some(i) == last {
                    return None;
                }
            }
            // Starting from the head, one pass has seen every destination.
            if last.is_none() || pass == 1 {
                break;
            }
            start = 0;
        }
        None
    }

    /// A destination was linked at the head: the cursor keeps pointing at the same one.
    pub(crate) fn dest_added(&mut self) {
        self.cursor = self.cursor.map(|c| c + 1);
    }

    /// `ip_vs_rr_del_dest`: the destination at `pos` was unlinked.
    pub(crate) fn dest_deleted(&mut self, pos: usize) {
        self.cursor = match self.cursor {
            Some(c) if c == pos => pos.checked_sub(1),
            Some(c) if c > pos => Some(c - 1),
            other => other,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::dest::test_server;

    #[test]
    fn scans_after_the_cursor_and_wraps() {
        let mut list = [test_server(0, 1), test_server(1, 1), test_server(2, 1)];
        let mut rr = RrState::default();
        let got: Vec<_> = (0..4).map(|_| rr.schedule(&list)).collect();
        assert_eq!(got, [Some(0), Some(1), Some(2), Some(0)]);
        list[1].weight = 0;
        assert_eq!(rr.schedule(&list), Some(2));
    }

    #[test]
    fn the_cursor_itself_is_checked_last() {
        let mut list = [test_server(0, 1), test_server(1, 1)];
        let mut rr = RrState { cursor: Some(0) };
        list[1].overloaded = true;
        assert_eq!(rr.schedule(&list), Some(0));
        list[0].weight = 0;
        assert_eq!(rr.schedule(&list), None);
        assert_eq!(rr.cursor, Some(0), "a failed pick keeps the cursor");
    }

    #[test]
    fn deleting_the_cursor_moves_it_to_the_predecessor() {
        let mut rr = RrState { cursor: Some(2) };
        rr.dest_deleted(2);
        assert_eq!(rr.cursor, Some(1));
        rr.dest_deleted(0);
        assert_eq!(rr.cursor, Some(0));
        rr.dest_deleted(0);
        assert_eq!(rr.cursor, None, "the head");
        rr.dest_added();
        assert_eq!(rr.cursor, None);
    }
}
