//! Internal link checking: every `@/<category>/<slug>.md#anchor` must name an existing page
//! and, when it has an anchor, one of that page's heading ids. Runs after all Markdown is
//! rendered, since anchors are only known then.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::{BrokenAnchor, Diagnostics, SourceError, SourceErrorKind};
use crate::markdown::{RenderedMarkdown, internal_url};

/// Checks the links of every `(source path, rendered page)` against `pages`, which maps a link
/// path (`security/userns.md`, `security/_index.md`) to that page's heading ids. Links to
/// `unparsed` pages (files that exist but failed to load, already reported) are not checked.
pub fn check_links<'a>(
    rendered: impl IntoIterator<Item = (&'a Path, &'a RenderedMarkdown)>,
    pages: &BTreeMap<String, &BTreeSet<String>>,
    unparsed: &BTreeSet<String>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    for (path, page) in rendered {
        for link in &page.links {
            let error = match internal_url(&link.written, "/") {
                None => Some(SourceErrorKind::BrokenLink(link.written.clone())),
                Some((_, target, _)) if unparsed.contains(&target) => None,
                Some((_, target, anchor)) => match (pages.get(&target), anchor) {
                    (None, _) => Some(SourceErrorKind::BrokenLink(link.written.clone())),
                    (Some(anchors), Some(anchor)) if !anchors.contains(&anchor) => {
                        Some(SourceErrorKind::BrokenAnchor(Box::new(BrokenAnchor {
                            link: link.written.clone(),
                            page: target,
                            hint: anchor_hint(&anchor, anchors),
                            anchor,
                        })))
                    }
                    _ => None,
                },
            };
            if let Some(kind) = error {
                diagnostics.push(SourceError::new(path, link.location, kind));
            }
        }
    }
    diagnostics
}

/// The ids shown when an anchor is not one: the nearest (in edits), when it is near enough to
/// be a slip, else the first few. Ids are the headings in kebab-case, which is easy to miss
/// by a character (`whats-new` for `what-s-new`).
fn anchor_hint(anchor: &str, anchors: &BTreeSet<String>) -> String {
    let nearest = anchors.iter().map(|id| (edits(anchor, id), id)).min();
    match nearest {
        None => "; it has no headings".to_owned(),
        Some((distance, id)) if distance <= 2 + anchor.chars().count() / 3 => {
            format!("; did you mean `{id}`?")
        }
        Some(_) => {
            let ids: Vec<&str> = anchors.iter().take(8).map(String::as_str).collect();
            let more = if anchors.len() > ids.len() { ", …" } else { "" };
            format!("; its heading ids: {}{more}", ids.join(", "))
        }
    }
}

/// The Levenshtein distance between `a` and `b`, in characters.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_anchor_gets_the_nearest_id_or_the_list() {
        let ids: BTreeSet<String> =
            ["intro", "what-s-new-in-docker-1-9", "demo"].map(String::from).into();
        assert_eq!(
            anchor_hint("whats-new-in-docker-19", &ids),
            "; did you mean `what-s-new-in-docker-1-9`?"
        );
        assert_eq!(anchor_hint("intr", &ids), "; did you mean `intro`?");
        assert_eq!(
            anchor_hint("nope", &ids),
            "; its heading ids: demo, intro, what-s-new-in-docker-1-9"
        );
        assert_eq!(anchor_hint("x", &BTreeSet::new()), "; it has no headings");
        assert_eq!(edits("kitten", "sitting"), 3);
    }
}
