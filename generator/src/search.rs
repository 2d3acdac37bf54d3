//! Search: the checked [`Site`] and its rendered Markdown → a sharded inverted index under
//! `search/` in the output, which `static/js/search.js` reads in the browser and
//! [`SearchIndex`] reads natively (tests, tools). No server is involved.
//!
//! Every session page is a document. Its text is cut into terms by [`for_each_term`], and
//! each (term, page) pair becomes one posting that records which fields hold the term and how
//! often the body does. Building is linear in the text: pages are tokenized in parallel into
//! one string each (no allocation per term); the postings are merged in 64 partitions of the
//! terms by hash, in parallel, each walking the pages in order so that postings come out
//! sorted; the terms are sorted once and the shards encoded in parallel. Output is
//! byte-identical between builds and does not depend on thread scheduling.
//!
//! # Files
//!
//! - `search/manifest.json`: a [`Manifest`]. It is the only file every query needs: the
//!   first term of each shard, the field names and ranking weights, the accent folds and the
//!   term length limits, so that the browser tokenizes and ranks exactly as this module does.
//! - `search/terms/<n>.bin`: shard `n`, a run of the sorted terms from `manifest.shards[n]`
//!   up to (excluding) `manifest.shards[n + 1]`. Shards are cut at about [`SHARD_BYTES`], so
//!   a term's postings are found by a binary search of `manifest.shards` and one fetch; a
//!   prefix fetches the shards its range of terms spans.
//! - `search/pages/<n>.json`: pages `n * page_chunk ..` as `[url, title, speakers, category,
//!   summary]` arrays, `url` relative to the site's base path. Only the chunks holding the
//!   results shown are fetched. Excerpts from the body come from the result's own page,
//!   fetched when it is shown, so the index holds no copy of the prose.
//!
//! # Shard encoding
//!
//! All integers are LEB128 varints (7 bits a byte, low group first). Each term record is:
//!
//! ```text
//! shared        bytes this term shares with the previous term of the shard (0 for the first)
//! suffix_len    bytes of UTF-8 that follow
//! suffix        the rest of the term
//! postings_len  bytes of postings that follow, so a reader can skip them
//! postings      per page that holds the term, in page order:
//!                 page_delta  page id minus the previous posting's (the first: the page id)
//!                 code        body_count << 6 | field_mask
//! ```
//!
//! `field_mask` bit `i` means the term occurs in field `manifest.fields[i]`; `body_count` is
//! how many times it occurs in the summary and body. A page's score for one query word is the
//! best over the terms the word matches (itself or any term it is a prefix of):
//! `(Σ weights of the fields + body) × (1 if the term is the word, else prefix_factor)`, with
//! `body = min(body_cap, body_weight × (1 + ln body_count))` when `body_count > 0`. Every
//! query word must match; scores add up; ties go to the earlier page in site order.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::{Deserialize, Serialize};

use crate::markdown::RenderedMarkdown;
use crate::model::{ACCENT_FOLDS, Site, fold_accent};
use crate::render::OutputFile;

/// Terms shorter than this (in characters) are not indexed.
pub const MIN_TERM_CHARS: usize = 2;
/// Terms longer than this (in characters, such as hashes) are not indexed.
pub const MAX_TERM_CHARS: usize = 40;
/// A shard ends at the first term that takes it past this many bytes.
pub const SHARD_BYTES: usize = 16 * 1024;
/// Pages per `search/pages/<n>.json` chunk.
pub const PAGE_CHUNK: usize = 64;
/// A query word whose prefix range spans more shards than this matches only the terms of
/// the first this many (itself and its first completions in sorted order), which bounds what
/// one keystroke downloads.
pub const MAX_PREFIX_SHARDS: usize = 8;

/// The fields of a page, by their bit in a posting's field mask.
pub const FIELDS: [&str; 6] = ["title", "speakers", "affiliation", "tags", "category", "headings"];
/// The ranking weight of each of [`FIELDS`]. Any field outranks the most a body can score.
const FIELD_WEIGHTS: [f64; 6] = [100.0, 80.0, 30.0, 40.0, 20.0, 15.0];
const BODY_WEIGHT: f64 = 4.0;
const BODY_CAP: f64 = 12.0;
const PREFIX_FACTOR: f64 = 0.75;
const FIELD_BITS: u32 = 6;
const MAX_BODY_COUNT: u32 = u32::MAX >> FIELD_BITS;

/// The ranking weights, as written to the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Per field of [`Manifest::fields`].
    pub fields: Vec<f64>,
    /// Body score per occurrence, before the logarithm.
    pub body: f64,
    /// The most the body can add.
    pub body_cap: f64,
    /// Factor for a term the query word is only a prefix of.
    pub prefix_factor: f64,
}

/// `search/manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version, 1.
    pub version: u32,
    /// Number of pages (page ids are `0..pages`).
    pub pages: usize,
    /// Pages per `pages/<n>.json` chunk.
    pub page_chunk: usize,
    /// Field names by mask bit.
    pub fields: Vec<String>,
    /// Ranking weights.
    pub weights: Weights,
    /// Accented letter → plain letter, applied after lowercasing.
    pub folds: Vec<(char, char)>,
    /// Shortest indexed term, in characters.
    pub min_term_chars: usize,
    /// Longest indexed term, in characters.
    pub max_term_chars: usize,
    /// See [`MAX_PREFIX_SHARDS`].
    pub max_prefix_shards: usize,
    /// The first term of each shard, sorted; shard `n` is `terms/<n>.bin`.
    pub shards: Vec<String>,
}

/// Calls `emit` with each term of `text`: the runs of alphanumeric characters, lowercased one
/// character at a time, with [`ACCENT_FOLDS`] folded, and between [`MIN_TERM_CHARS`] and
/// [`MAX_TERM_CHARS`] characters long. A dot between two ASCII digits is part of the term, so
/// that versions and addresses (`1.9`, `nginx:1.9.1`, `172.17.0.1`) are found as written:
/// split at the dot, `1.9` would leave no term at all. `static/js/search.js` tokenizes
/// queries with the same rule.
pub fn for_each_term(text: &str, mut emit: impl FnMut(&str)) {
    let mut term = String::new();
    let mut chars = 0;
    let mut flush = |term: &mut String, chars: &mut usize| {
        if (MIN_TERM_CHARS..=MAX_TERM_CHARS).contains(chars) {
            emit(term);
        }
        term.clear();
        *chars = 0;
    };
    let mut rest = text.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = rest.next() {
        let joins_digits =
            c == '.' && previous.is_ascii_digit() && rest.peek().is_some_and(char::is_ascii_digit);
        previous = c;
        if c.is_ascii_alphanumeric() || joins_digits {
            term.push(c.to_ascii_lowercase());
            chars += 1;
        } else if !c.is_ascii() && c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                term.push(fold_accent(lower));
                chars += 1;
            }
        } else if !term.is_empty() {
            flush(&mut term, &mut chars);
        }
    }
    if !term.is_empty() {
        flush(&mut term, &mut chars);
    }
}

/// The terms of `text`, in order, repeats included.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.to_owned()));
    out
}

/// One page's searchable text, by field.
struct Document<'a> {
    row: PageRow,
    fields: [String; 6],
    summary: &'a str,
    body: &'a str,
}

/// A page's line in `search/pages/<n>.json`.
struct PageRow {
    url: String,
    title: String,
    speakers: String,
    category: String,
    summary: String,
}

/// One session's entry in the index: its row and its terms, taken while its rendered
/// Markdown is at hand, so that its text need not be kept until the index is built.
pub struct PageTerms {
    row: PageRow,
    terms: DocumentTerms,
}

/// The terms of session `index` of `site`, whose Markdown rendered to `md`.
pub fn page_terms(site: &Site, index: usize, md: &RenderedMarkdown) -> PageTerms {
    let session = &site.sessions[index];
    let meta = &session.meta;
    let category = site
        .categories
        .iter()
        .find(|c| c.slug == session.category)
        .map_or(session.category.as_str(), |c| c.meta.title.as_str());
    let join = |parts: Vec<&str>| parts.join(" · ");
    let speakers = join(meta.speakers.iter().map(|s| s.name.as_str()).collect());
    let affiliations =
        join(meta.speakers.iter().filter_map(|s| s.affiliation.as_deref()).collect());
    let headings = join(md.toc.iter().map(|t| t.title.as_str()).collect());
    let doc = Document {
        row: PageRow {
            url: format!("{}/{}/", session.category, session.slug),
            title: meta.title.clone(),
            speakers: speakers.clone(),
            category: category.to_owned(),
            summary: meta.summary.clone(),
        },
        fields: [
            meta.title.clone(),
            speakers,
            affiliations,
            meta.tags.join(" "),
            category.to_owned(),
            headings,
        ],
        summary: &meta.summary,
        body: &md.text,
    };
    let terms = document_terms(&doc);
    PageTerms { row: doc.row, terms }
}

/// Postings are merged in this many independent partitions of the terms, in parallel.
const PARTITIONS: usize = 64;

/// A document's distinct terms with their posting codes (`body_count << 6 | field_mask`),
/// stored in one string and grouped by merge partition.
struct DocumentTerms {
    /// The terms, one after another.
    arena: String,
    /// `(start, end, code)` of each term in `arena`, partition by partition.
    terms: Vec<(u32, u32, u32)>,
    /// `terms[bounds[p]..bounds[p + 1]]` belong to partition `p`.
    bounds: [u32; PARTITIONS + 1],
}

impl DocumentTerms {
    fn partition(&self, p: usize) -> impl Iterator<Item = (&str, u32)> {
        let range = self.bounds[p] as usize..self.bounds[p + 1] as usize;
        self.terms[range]
            .iter()
            .map(|&(start, end, code)| (&self.arena[start as usize..end as usize], code))
    }
}

fn document_terms(doc: &Document<'_>) -> DocumentTerms {
    // Terms go straight into the arena, keyed by their range: no allocation per term.
    let mut arena = String::new();
    let mut table: HashTable<(u64, u32, u32, u32)> = HashTable::new();
    let mut add = |term: &str, code: u32| {
        let hash = FxBuildHasher.hash_one(term);
        let found = table
            .find_mut(hash, |&(_, start, end, _)| &arena[start as usize..end as usize] == term);
        match found {
            Some((_, _, _, existing)) => {
                let count = (*existing >> FIELD_BITS).saturating_add(code >> FIELD_BITS);
                let mask = (*existing | code) & ((1 << FIELD_BITS) - 1);
                *existing = count.min(MAX_BODY_COUNT) << FIELD_BITS | mask;
            }
            None => {
                let start = arena.len() as u32;
                arena.push_str(term);
                table.insert_unique(hash, (hash, start, arena.len() as u32, code), |e| e.0);
            }
        }
    };
    for (bit, text) in doc.fields.iter().enumerate() {
        for_each_term(text, |t| add(t, 1 << bit));
    }
    for text in [doc.summary, doc.body] {
        for_each_term(text, |t| add(t, 1 << FIELD_BITS));
    }
    let partition = |hash: u64| (hash >> 32) as usize % PARTITIONS;
    let mut entries: Vec<(u64, u32, u32, u32)> = table.into_iter().collect();
    entries.sort_unstable_by_key(|&(hash, start, _, _)| (partition(hash), start));
    let mut bounds = [0; PARTITIONS + 1];
    for &(hash, ..) in &entries {
        bounds[partition(hash) + 1] += 1;
    }
    for p in 1..=PARTITIONS {
        bounds[p] += bounds[p - 1];
    }
    let terms = entries.into_iter().map(|(_, start, end, code)| (start, end, code)).collect();
    DocumentTerms { arena, terms, bounds }
}

fn push_varint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u32> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let Some(&byte) = bytes.get(*at) else { bail!("truncated varint at byte {at}") };
        *at += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    bail!("varint longer than 5 bytes before byte {at}")
}

fn encode_postings(postings: &[(u32, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(postings.len() * 3);
    let mut previous = 0;
    for &(page, code) in postings {
        push_varint(&mut out, page - previous);
        push_varint(&mut out, code);
        previous = page;
    }
    out
}

fn encode_shard(terms: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut previous: &str = "";
    for (term, postings) in terms {
        let shared = term.bytes().zip(previous.bytes()).take_while(|(a, b)| a == b).count();
        let suffix = &term.as_bytes()[shared..];
        for n in [shared, suffix.len()] {
            push_varint(&mut out, n as u32);
        }
        out.extend_from_slice(suffix);
        push_varint(&mut out, postings.len() as u32);
        out.extend_from_slice(postings);
        previous = term;
    }
    out
}

/// Builds the index of the sessions, in model order, as files under `search/`.
pub fn build_index(pages: &[PageTerms]) -> Vec<OutputFile> {
    index_files(pages, SHARD_BYTES)
}

fn index_files(pages: &[PageTerms], shard_bytes: usize) -> Vec<OutputFile> {
    let per_document: Vec<&DocumentTerms> = pages.iter().map(|p| &p.terms).collect();
    // Each partition walks the documents in page order, so its postings come out sorted.
    let partitions: Vec<Vec<(&str, Postings)>> = (0..PARTITIONS)
        .into_par_iter()
        .map(|p| {
            let mut postings: FxHashMap<&str, Postings> = FxHashMap::default();
            for (page, terms) in per_document.iter().enumerate() {
                for (term, code) in terms.partition(p) {
                    postings.entry(term).or_default().push((page as u32, code));
                }
            }
            postings.into_iter().collect()
        })
        .collect();
    let mut sorted: Vec<(&str, Postings)> = partitions.into_iter().flatten().collect();
    sorted.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
    let encoded: Vec<(&str, Vec<u8>)> =
        sorted.into_par_iter().map(|(term, list)| (term, encode_postings(&list))).collect();

    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, (term, postings)) in encoded.iter().enumerate() {
        size += term.len() + postings.len() + 4;
        if size >= shard_bytes {
            ranges.push(start..i + 1);
            start = i + 1;
            size = 0;
        }
    }
    if start < encoded.len() {
        ranges.push(start..encoded.len());
    }

    let manifest = Manifest {
        version: 1,
        pages: pages.len(),
        page_chunk: PAGE_CHUNK,
        fields: FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        weights: Weights {
            fields: FIELD_WEIGHTS.to_vec(),
            body: BODY_WEIGHT,
            body_cap: BODY_CAP,
            prefix_factor: PREFIX_FACTOR,
        },
        folds: ACCENT_FOLDS
            .iter()
            .flat_map(|(accented, plain)| accented.chars().map(move |c| (c, *plain)))
            .collect(),
        min_term_chars: MIN_TERM_CHARS,
        max_term_chars: MAX_TERM_CHARS,
        max_prefix_shards: MAX_PREFIX_SHARDS,
        shards: ranges.iter().map(|r| encoded[r.start].0.to_owned()).collect(),
    };
    let mut files: Vec<OutputFile> = ranges
        .par_iter()
        .enumerate()
        .map(|(n, range)| OutputFile {
            rel_path: PathBuf::from(format!("search/terms/{n}.bin")),
            bytes: encode_shard(&encoded[range.clone()]),
        })
        .collect();
    files.extend(pages.chunks(PAGE_CHUNK).enumerate().map(|(n, chunk)| {
        let rows: Vec<[&str; 5]> = chunk
            .iter()
            .map(|p| &p.row)
            .map(|r| [&*r.url, &*r.title, &*r.speakers, &*r.category, &*r.summary])
            .collect();
        OutputFile {
            rel_path: PathBuf::from(format!("search/pages/{n}.json")),
            bytes: serde_json::to_vec(&rows).expect("strings always serialize"),
        }
    }));
    files.push(OutputFile {
        rel_path: PathBuf::from("search/manifest.json"),
        bytes: serde_json::to_vec(&manifest).expect("the manifest always serializes"),
    });
    files
}

/// A page as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PageEntry {
    /// The URL relative to the site's base path (`load-balancing/ipvs-load-balancing/`).
    pub url: String,
    /// The page title.
    pub title: String,
    /// Speaker names, joined with ` · `.
    pub speakers: String,
    /// The category's title.
    pub category: String,
    /// The summary, the excerpt shown when it holds a query word.
    pub summary: String,
}

/// One result of [`SearchIndex::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The page id.
    pub page: usize,
    /// The page's score (see the module docs).
    pub score: f64,
}

/// `(page, code)` pairs in page order.
type Postings = Vec<(u32, u32)>;

/// A term with its postings.
type TermPostings = (String, Postings);

/// An index written by [`build_index`], read back from disk.
pub struct SearchIndex {
    /// The manifest.
    pub manifest: Manifest,
    /// Every shard's terms with their `(page, code)` postings.
    shards: Vec<Vec<TermPostings>>,
    /// Every page, by id.
    pub pages: Vec<PageEntry>,
}

fn decode_shard(bytes: &[u8]) -> Result<Vec<TermPostings>> {
    let mut at = 0;
    let mut term: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    while at < bytes.len() {
        let shared = read_varint(bytes, &mut at)? as usize;
        let suffix_len = read_varint(bytes, &mut at)? as usize;
        let Some(suffix) = bytes.get(at..at + suffix_len) else { bail!("truncated term") };
        if shared > term.len() {
            bail!("term shares {shared} bytes with a shorter previous term");
        }
        term.truncate(shared);
        term.extend_from_slice(suffix);
        at += suffix_len;
        let end = at + read_varint(bytes, &mut at)? as usize;
        let mut postings = Vec::new();
        let mut page = 0;
        while at < end {
            page += read_varint(bytes, &mut at)?;
            postings.push((page, read_varint(bytes, &mut at)?));
        }
        out.push((String::from_utf8(term.clone()).context("term is not UTF-8")?, postings));
    }
    Ok(out)
}

impl SearchIndex {
    /// Reads the index under `dir` (the output's `search/`).
    pub fn load(dir: &Path) -> Result<SearchIndex> {
        SearchIndex::read_with(|rel| {
            let path = dir.join(rel);
            crate::fs::read(&path).with_context(|| format!("failed to read `{}`", path.display()))
        })
    }

    /// Reads the index through `read`, which returns a file's bytes given its path under
    /// `search/`.
    fn read_with(read: impl Fn(String) -> Result<Vec<u8>>) -> Result<SearchIndex> {
        let manifest: Manifest = serde_json::from_slice(&read("manifest.json".into())?)
            .context("invalid search/manifest.json")?;
        let shards = (0..manifest.shards.len())
            .map(|n| decode_shard(&read(format!("terms/{n}.bin"))?).context(format!("shard {n}")))
            .collect::<Result<_>>()?;
        let mut pages = Vec::with_capacity(manifest.pages);
        for n in 0..manifest.pages.div_ceil(manifest.page_chunk) {
            let chunk: Vec<PageEntry> =
                serde_json::from_slice(&read(format!("pages/{n}.json"))?)
                    .with_context(|| format!("invalid search/pages/{n}.json"))?;
            pages.extend(chunk);
        }
        Ok(SearchIndex { manifest, shards, pages })
    }

    /// The shards a query word needs: the one where `word` would sit, then every following
    /// shard whose first term starts with `word`; the first [`Manifest::max_prefix_shards`]
    /// of them.
    pub fn shards_for(&self, word: &str) -> Range<usize> {
        let shards = &self.manifest.shards;
        if shards.is_empty() {
            return 0..0;
        }
        let first = shards.partition_point(|s| s.as_str() <= word).saturating_sub(1);
        let end =
            first + 1 + shards[first + 1..].iter().take_while(|s| s.starts_with(word)).count();
        first..end.min(first + self.manifest.max_prefix_shards)
    }

    /// Every page's best score for one query word, by page id.
    fn word_scores(&self, word: &str) -> HashMap<u32, f64> {
        let weights = &self.manifest.weights;
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for shard in &self.shards[self.shards_for(word)] {
            for (term, postings) in shard.iter().filter(|(t, _)| t.starts_with(word)) {
                let factor = if term == word { 1.0 } else { weights.prefix_factor };
                for &(page, code) in postings {
                    let fields: f64 = (0..weights.fields.len())
                        .filter(|bit| code & (1 << bit) != 0)
                        .map(|bit| weights.fields[bit])
                        .sum();
                    let count = code >> FIELD_BITS;
                    let body = if count == 0 {
                        0.0
                    } else {
                        (weights.body * (1.0 + f64::from(count).ln())).min(weights.body_cap)
                    };
                    let score = (fields + body) * factor;
                    let best = scores.entry(page).or_insert(0.0);
                    *best = best.max(score);
                }
            }
        }
        scores
    }

    /// The pages matching every word of `query` (as a prefix), best first.
    pub fn search(&self, query: &str) -> Vec<Hit> {
        let words = terms(query);
        let Some((first, rest)) = words.split_first() else { return Vec::new() };
        let mut totals = self.word_scores(first);
        for word in rest {
            let scores = self.word_scores(word);
            totals.retain(|page, total| match scores.get(page) {
                Some(score) => {
                    *total += score;
                    true
                }
                None => false,
            });
        }
        let mut hits: Vec<Hit> =
            totals.into_iter().map(|(page, score)| Hit { page: page as usize, score }).collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.page.cmp(&b.page)));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(url: &str, title: &str, speakers: &str, tags: &str, body: &str) -> PageTerms {
        let doc = Document {
            row: PageRow {
                url: url.to_owned(),
                title: title.to_owned(),
                speakers: speakers.to_owned(),
                category: "Talks".to_owned(),
                summary: String::new(),
            },
            fields: [
                title.to_owned(),
                speakers.to_owned(),
                String::new(),
                tags.to_owned(),
                "Talks".to_owned(),
                String::new(),
            ],
            summary: "",
            body,
        };
        let terms = document_terms(&doc);
        PageTerms { row: doc.row, terms }
    }

    fn index(docs: &[PageTerms], shard_bytes: usize) -> SearchIndex {
        let files = index_files(docs, shard_bytes);
        SearchIndex::read_with(|rel| {
            let path = Path::new("search").join(&rel);
            files
                .iter()
                .find(|f| f.rel_path == path)
                .map(|f| f.bytes.clone())
                .ok_or_else(|| anyhow::anyhow!("no file {rel}"))
        })
        .expect("the written index reads back")
    }

    fn urls(index: &SearchIndex, query: &str) -> Vec<String> {
        index.search(query).iter().map(|h| index.pages[h.page].url.clone()).collect()
    }

    #[test]
    fn terms_are_lowercased_folded_alphanumeric_runs() {
        assert_eq!(
            terms("Jérôme Petazzoni's IPVS-based L4 balancer: a x 2015, Ünïcode ΣΑΣ"),
            ["jerome", "petazzoni", "ipvs", "based", "l4", "balancer", "2015", "unicode", "σασ"]
        );
        assert_eq!(
            terms("Docker 1.9, nginx:1.9.1 on 172.17.0.1. v1.21 at 4.3. 1..9 .5 x.9 1.x 1 9"),
            ["docker", "1.9", "nginx", "1.9.1", "on", "172.17.0.1", "v1.21", "at", "4.3"]
        );
        let long = "f".repeat(MAX_TERM_CHARS + 1);
        assert_eq!(terms(&format!("sha {long} {}", &long[1..])), ["sha", &long[1..]]);
        assert!(terms("a b c — !").is_empty());
    }

    #[test]
    fn varints_round_trip_at_group_boundaries() {
        let values = [0, 1, 127, 128, 16_383, 16_384, u32::MAX >> 6, u32::MAX];
        let mut bytes = Vec::new();
        for v in values {
            push_varint(&mut bytes, v);
        }
        assert_eq!(bytes.len(), 1 + 1 + 1 + 2 + 2 + 3 + 4 + 5);
        let mut at = 0;
        let read: Vec<u32> =
            values.iter().map(|_| read_varint(&bytes, &mut at).expect("valid")).collect();
        assert_eq!(read, values);
        assert!(read_varint(&[0x80], &mut 0).is_err(), "a truncated varint is an error");
    }

    #[test]
    fn shards_partition_the_sorted_terms_and_prefixes_span_them() {
        let docs = [
            doc("a/", "Containers", "", "", "container content"),
            doc("b/", "Configs", "", "", "config conflict coat code zebra"),
            doc("c/", "Farm", "", "", "cow"),
        ];
        let index = index(&docs, 1);
        let shards = &index.manifest.shards;
        assert!(shards.windows(2).all(|w| w[0] < w[1]), "shard keys are sorted");
        assert_eq!(index.shards.len(), shards.len());
        for (n, shard) in index.shards.iter().enumerate() {
            assert_eq!(shard[0].0, shards[n], "a shard starts with its key");
            if let Some(next) = shards.get(n + 1) {
                assert!(shard.iter().all(|(t, _)| t < next), "shard {n} holds only its range");
            }
        }
        let con = index.shards_for("con");
        assert!(con.len() > 1, "one term per shard");
        let spanned: Vec<&str> =
            index.shards[con].iter().flatten().map(|(t, _)| t.as_str()).collect();
        // From the shard where "con" would sit (it holds "code") to the last "con…" shard.
        assert_eq!(
            spanned,
            ["code", "config", "configs", "conflict", "container", "containers", "content"]
        );
        assert_eq!(urls(&index, "con"), ["a/", "b/"]);
        assert_eq!(urls(&index, "conf"), ["b/"]);
        assert_eq!(index.shards_for("zebra").len(), 1);
        // A word before every term still lands in the first shard.
        assert_eq!(index.shards_for("aa"), 0..1);
        // "co" spans nine shards, one more than MAX_PREFIX_SHARDS: the last, "cow", is left
        // out until the word is longer.
        assert_eq!(shards[0], "coat");
        assert_eq!(shards[8], "cow");
        assert_eq!(index.shards_for("co"), 0..MAX_PREFIX_SHARDS);
        assert_eq!(urls(&index, "co"), ["a/", "b/"]);
        assert_eq!(urls(&index, "cow"), ["c/"]);
    }

    #[test]
    fn title_and_speaker_hits_rank_above_body_hits() {
        let many = "ipvs ".repeat(50);
        let docs = [
            doc("body/", "Load balancing", "Ann", "", &many),
            doc("prefix-title/", "ipvsadm in practice", "Bob", "", ""),
            doc("title/", "Kernel load balancing with IPVS", "Cy", "", "one mention of ipvs"),
            doc("speaker/", "Networking", "Ipvs Person", "", ""),
            doc("tag/", "Routing", "Dee", "ipvs", ""),
            doc("none/", "Storage", "Eve", "", "volumes"),
        ];
        let index = index(&docs, SHARD_BYTES);
        assert_eq!(urls(&index, "IPVS"), ["title/", "speaker/", "prefix-title/", "tag/", "body/"]);
        // As a prefix of every term, the title's own body mention breaks the tie.
        assert_eq!(urls(&index, "ipv"), ["title/", "prefix-title/", "speaker/", "tag/", "body/"]);
        let scores: Vec<f64> = index.search("ipvs").iter().map(|h| h.score).collect();
        assert_eq!(scores[0], FIELD_WEIGHTS[0] + BODY_WEIGHT, "title plus one body mention");
        assert_eq!(scores[4], BODY_CAP, "fifty body mentions reach the cap");
    }

    #[test]
    fn every_query_word_must_match() {
        let docs = [
            doc("a/", "Swarm at scale", "", "", "scheduling"),
            doc("b/", "Swarm networking", "", "", "overlay"),
        ];
        let index = index(&docs, SHARD_BYTES);
        assert_eq!(urls(&index, "swarm"), ["a/", "b/"]);
        assert_eq!(urls(&index, "swarm over"), ["b/"]);
        assert_eq!(urls(&index, "swarm volumes"), Vec::<String>::new());
        assert_eq!(urls(&index, "a !"), Vec::<String>::new(), "no indexable word");
    }

    #[test]
    fn versions_are_one_term_and_match_as_prefixes() {
        let docs = [
            doc("a/", "Engine 1.9", "", "", "tagged 1.9.0, then 1.9.1"),
            doc("b/", "Engine 1.10", "", "", "released 1 9 weeks later"),
            doc("c/", "Bridge", "", "", "docker0 is 172.17.42.1"),
        ];
        let index = index(&docs, SHARD_BYTES);
        assert_eq!(urls(&index, "1.9"), ["a/"]);
        assert_eq!(urls(&index, "engine 1.9.1"), ["a/"]);
        assert_eq!(urls(&index, "1.1"), ["b/"], "a prefix of 1.10");
        assert_eq!(urls(&index, "172.17"), ["c/"]);
        assert_eq!(urls(&index, "172"), ["c/"], "an address's first number is a prefix of it");
        assert_eq!(urls(&index, "1 9"), Vec::<String>::new(), "single digits are no terms");
    }

    #[test]
    fn the_index_is_byte_identical_between_builds() {
        let docs = [
            doc("a/", "One", "Ann", "x-ray", "alpha beta gamma delta"),
            doc("b/", "Two", "Bob", "yak", "beta gamma epsilon"),
        ];
        assert_eq!(index_files(&docs, 8), index_files(&docs, 8));
    }
}
