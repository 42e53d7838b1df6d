//! The cursor of searches filtered by creation time in whole seconds and re-queried from the
//! newest second taken, inclusively (Hacker News' Algolia `created_at_i>=`, Stack Exchange's
//! `fromdate`): the ids taken at that second keep the overlap from repeating anything, and a
//! window of several pages is walked page by page before the cursor moves on, so a burst of
//! posts between two polls is read whole. When a walk starts and how far it goes is each
//! source's own.

use serde::{Deserialize, Serialize};

/// Per search: the newest second taken and the ids taken there; `paging` while a window of
/// several pages is walked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Window<Id> {
    pub since: i64,
    pub seen: Vec<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging<Id>>,
}

/// Where the walk of a window stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paging<Id> {
    /// The next page to ask for, numbered as the API numbers its pages.
    pub page: u32,
    /// The window's newest second and the ids there: where `since` goes once the walk ends.
    pub top: i64,
    pub top_seen: Vec<Id>,
}

/// The newest second of a window read so far, and the ids there.
#[derive(Debug, Clone, PartialEq)]
pub struct Newest<Id> {
    pub at: i64,
    pub ids: Vec<Id>,
}

impl<Id: Clone + Ord> Window<Id> {
    /// Whether the item `id`, created at `at`, was taken by an earlier pass.
    pub fn taken(&self, at: i64, id: &Id) -> bool {
        at < self.since || (at == self.since && self.seen.contains(id))
    }

    /// Where the newest second of this pass starts: the walk's, else `at` with no ids.
    pub fn newest_from(&self, at: i64) -> Newest<Id> {
        self.paging.as_ref().map_or_else(
            || Newest { at, ids: Vec::new() },
            |paging| Newest { at: paging.top, ids: paging.top_seen.clone() },
        )
    }

    /// The walk goes on at `page`, the window's newest second being `newest`.
    #[must_use]
    pub fn walking(self, page: u32, newest: Newest<Id>) -> Self {
        Self { paging: Some(Paging { page, top: newest.at, top_seen: newest.ids }), ..self }
    }

    /// The window is read: the cursor moves to its newest second, or, when that is `since`,
    /// adds the ids there (sorted, once each); an older `newest` leaves it where it was.
    #[must_use]
    pub fn closed(self, newest: Newest<Id>) -> Self {
        let (since, seen) = if newest.at > self.since {
            (newest.at, newest.ids)
        } else if newest.at == self.since {
            let mut seen = self.seen;
            seen.extend(newest.ids);
            seen.sort_unstable();
            seen.dedup();
            (self.since, seen)
        } else {
            (self.since, self.seen)
        };
        Self { since, seen, paging: None }
    }
}

impl<Id: Clone + PartialEq> Newest<Id> {
    /// Notes an item of the window created at `at`.
    pub fn see(&mut self, at: i64, id: &Id) {
        if at > self.at {
            self.at = at;
            self.ids.clear();
        }
        if at == self.at && !self.ids.contains(id) {
            self.ids.push(id.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_closes_at_its_newest_second_and_keeps_the_ids_there() {
        let cursor = Window { since: 10, seen: vec![3, 1], paging: None };
        assert!(cursor.taken(9, &7) && cursor.taken(10, &1) && !cursor.taken(10, &2) && !cursor.taken(11, &1));
        let mut newest = cursor.newest_from(cursor.since);
        for (at, id) in [(10, 2), (12, 5), (11, 4), (12, 6), (12, 5)] {
            newest.see(at, &id);
        }
        assert_eq!(newest, Newest { at: 12, ids: vec![5, 6] });
        let walking = cursor.clone().walking(2, newest.clone());
        assert_eq!(walking.newest_from(0), newest, "the walk's newest second carries over");
        assert_eq!(walking.clone().closed(newest), Window { since: 12, seen: vec![5, 6], paging: None });
        let same_second = cursor.clone().closed(Newest { at: 10, ids: vec![2, 1] });
        assert_eq!(same_second.seen, [1, 2, 3], "ids at the same second join, sorted, once each");
        assert_eq!(cursor.clone().closed(Newest { at: 4, ids: vec![9] }), cursor, "older: unchanged");
        let json = serde_json::to_string(&walking).unwrap();
        assert_eq!(json, r#"{"since":10,"seen":[3,1],"paging":{"page":2,"top":12,"top_seen":[5,6]}}"#);
        assert_eq!(serde_json::to_string(&same_second).unwrap(), r#"{"since":10,"seen":[1,2,3]}"#);
    }
}
