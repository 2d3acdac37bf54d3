//! Internal link checking: every `@/<category>/<slug>.md#anchor` must name an existing page
//! and, when it has an anchor, one of that page's heading ids. Runs after all Markdown is
//! rendered, since anchors are only known then.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::{Diagnostics, SourceError, SourceErrorKind};
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
                        Some(SourceErrorKind::BrokenAnchor {
                            link: link.written.clone(),
                            page: target,
                            anchor,
                        })
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
