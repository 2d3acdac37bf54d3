//! The content model: front matter types, and [`link`], which turns the discovered files into
//! a checked, ordered [`Site`].
//!
//! Cross-file rules live here and collect every violation: a session in an unknown category,
//! a category without its `_index.md`, duplicate slugs, invalid field values. Once `link`
//! returns, the model is immutable; later stages only read it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, de};

use crate::config::SiteConfig;
use crate::discover::{FileKind, SourceFile};
use crate::error::{Diagnostics, Location, SourceError, SourceErrorKind};
use crate::front_matter::{self, Split};

/// A calendar date, `YYYY-MM-DD` (a TOML date or a YAML string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31 (checked against the month).
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year: u16 = text[0..4].parse().ok()?;
        let month: u8 = text[5..7].parse().ok()?;
        let day: u8 = text[8..10].parse().ok()?;
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month).contains(&day).then_some(Date { year, month, day })
    }

    /// The date in words (`16 November 2015`).
    pub fn long(&self) -> String {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let month = MONTHS.get(usize::from(self.month) - 1).copied().unwrap_or("?");
        format!("{} {} {}", self.day, month, self.year)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl<'de> de::Visitor<'de> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date like 2015-11-16")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Date, E> {
                Date::parse(text).ok_or_else(|| {
                    E::custom(format!("invalid date `{text}`, expected a date like 2015-11-16"))
                })
            }
            // A TOML date arrives as a one-entry map holding its text.
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Date, A::Error> {
                let Some((_, text)) = map.next_entry::<String, String>()? else {
                    return Err(de::Error::custom("expected a date like 2015-11-16"));
                };
                self.visit_str(&text)
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

/// How sure the facts sheet is about a session's entry (title, speakers, day, track).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Verified in a primary source.
    #[default]
    High,
    /// Partly inferred or from secondary sources.
    Medium,
    /// Not verified.
    Low,
}

impl Confidence {
    /// The lowercase name used in templates and CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// A speaker as written in a session's front matter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Speaker {
    /// Full name.
    pub name: String,
    /// Employer or role at the time of the talk.
    #[serde(default)]
    pub affiliation: Option<String>,
    /// Social handle, without `@`.
    #[serde(default)]
    pub handle: Option<String>,
    /// Whether the speaker or the affiliation is inferred rather than sourced.
    #[serde(default)]
    pub unverified: bool,
    /// A short explanation shown next to an unverified speaker.
    #[serde(default)]
    pub note: Option<String>,
}

/// Links to the talk's material.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// The slide deck.
    #[serde(default)]
    pub slides: Option<String>,
    /// The recording.
    #[serde(default)]
    pub video: Option<String>,
    /// Code shown or released with the talk.
    #[serde(default)]
    pub source: Option<String>,
}

/// A session's front matter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionMeta {
    /// The talk's title.
    pub title: String,
    /// One or two sentences for listings and meta descriptions.
    pub summary: String,
    /// The day it was given (or, for release notes, the release date).
    pub date: Date,
    /// Conference day, from 1 (the first of `conference_days` in `site.toml`); absent for
    /// pre-conference context.
    #[serde(default)]
    pub day: Option<u8>,
    /// The track, as Docker named it.
    #[serde(default)]
    pub track: Option<String>,
    /// Lowercase kebab-case tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How sure the entry is.
    #[serde(default)]
    pub confidence: Confidence,
    /// Position within the category (lower first); then by day and title.
    #[serde(default)]
    pub order: Option<i64>,
    /// Who gave the talk.
    pub speakers: Vec<Speaker>,
    /// Slides, video and code.
    #[serde(default)]
    pub links: Links,
    /// Left out of the build unless `--drafts` is given.
    #[serde(default)]
    pub draft: bool,
}

/// A category's `_index.md` front matter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryMeta {
    /// The category's title.
    pub title: String,
    /// One sentence about it.
    pub description: String,
}

/// The home page's `_index.md` front matter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeMeta {
    /// The home page's heading.
    pub title: String,
    /// One sentence for the home page's meta description (default: the site's).
    #[serde(default)]
    pub description: Option<String>,
}

/// A page's Markdown, not yet rendered.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file, relative to the site root.
    pub path: PathBuf,
    /// The Markdown after the front matter.
    pub body: String,
    /// How many lines of the file precede the body.
    pub body_line_offset: u32,
}

/// One session write-up.
#[derive(Debug, Clone)]
pub struct Session {
    /// The category directory.
    pub category: String,
    /// The file name without `.md`; unique across the site.
    pub slug: String,
    /// Its front matter.
    pub meta: SessionMeta,
    /// Its Markdown.
    pub source: Source,
}

/// One category.
#[derive(Debug, Clone)]
pub struct Category {
    /// The directory name.
    pub slug: String,
    /// Its `_index.md` front matter.
    pub meta: CategoryMeta,
    /// Its `_index.md` body.
    pub source: Source,
    /// Indices into [`Site::sessions`], in display order.
    pub sessions: Vec<usize>,
}

/// A speaker across all their sessions.
#[derive(Debug, Clone)]
pub struct SpeakerEntry {
    /// Name as written.
    pub name: String,
    /// Every affiliation given for them, sorted; an organisation also given with a role
    /// (`Docker` beside `Docker (Security Lead)`) only with it.
    pub affiliations: BTreeSet<String>,
    /// Their handle, if any session gives one.
    pub handle: Option<String>,
    /// Indices into [`Site::sessions`].
    pub sessions: Vec<usize>,
}

/// The whole site, checked and ordered.
#[derive(Debug, Clone)]
pub struct Site {
    /// `site.toml`.
    pub config: SiteConfig,
    /// The home page.
    pub home: (HomeMeta, Source),
    /// Categories in `site.toml` order.
    pub categories: Vec<Category>,
    /// Sessions grouped by category in display order.
    pub sessions: Vec<Session>,
    /// Tag → indices into `sessions`.
    pub tags: BTreeMap<String, Vec<usize>>,
    /// Speaker slug → the speaker.
    pub speakers: BTreeMap<String, SpeakerEntry>,
}

impl Site {
    /// The session at `category`/`slug`, if any.
    pub fn session(&self, category: &str, slug: &str) -> Option<usize> {
        self.sessions.iter().position(|s| s.category == category && s.slug == slug)
    }
}

/// The lowercase accented Latin letters that [`fold_accent`] folds, each group with its
/// unaccented letter.
pub const ACCENT_FOLDS: [(&str, char); 8] = [
    ("àáâãäå", 'a'),
    ("ç", 'c'),
    ("èéêë", 'e'),
    ("ìíîï", 'i'),
    ("ñ", 'n'),
    ("òóôõöø", 'o'),
    ("ùúûü", 'u'),
    ("ýÿ", 'y'),
];

/// `c` without its accent when it is one of [`ACCENT_FOLDS`] (lowercase only), else `c`.
pub fn fold_accent(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    ACCENT_FOLDS.iter().find(|(accented, _)| accented.contains(c)).map_or(c, |&(_, plain)| plain)
}

/// Turns `text` into a URL slug: lowercase ASCII letters and digits separated by hyphens,
/// with common Latin accents folded (`Jérôme Petazzoni` → `jerome-petazzoni`).
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = fold_accent(c);
        if folded.is_ascii_alphanumeric() {
            slug.push(folded);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--")
}

enum Parsed {
    Home(HomeMeta, Source),
    Category(String, CategoryMeta, Source),
    Session(Box<Session>),
}

/// Parses every file's front matter and checks the cross-file rules.
///
/// Returns the site made of the files that are valid (so that later stages can still report
/// their own problems in them), or `None` without a home page, with every problem found.
/// The files are consumed: their text becomes the bodies of the model.
pub fn link(
    config: SiteConfig,
    files: Vec<SourceFile>,
    kinds: &[FileKind],
    drafts: bool,
) -> (Option<Site>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let parsed: Vec<Result<Parsed, Diagnostics>> =
        files.into_par_iter().map(|file| parse_file(file, &config.conference_days)).collect();
    let mut home = None;
    let mut categories: BTreeMap<String, (CategoryMeta, Source)> = BTreeMap::new();
    let mut sessions = Vec::new();
    for result in parsed {
        match result {
            Ok(Parsed::Home(meta, source)) => home = Some((meta, source)),
            Ok(Parsed::Category(slug, meta, source)) => {
                categories.insert(slug, (meta, source));
            }
            Ok(Parsed::Session(session)) if session.meta.draft && !drafts => {}
            Ok(Parsed::Session(session)) => sessions.push(*session),
            Err(errors) => diagnostics.extend(errors),
        }
    }

    let known = config.categories.join(", ");
    let config_path = Path::new("site.toml");
    // A file that exists but failed to parse is already reported; only absent ones are missing.
    let present = |wanted: &FileKind| kinds.contains(wanted);
    for (category, location) in config.categories.iter().zip(&config.category_locations) {
        if !present(&FileKind::CategoryIndex { category: category.clone() }) {
            diagnostics.push(SourceError::new(
                config_path,
                *location,
                SourceErrorKind::MissingCategoryIndex(category.clone()),
            ));
        }
    }
    for (slug, (_, source)) in &categories {
        if !config.categories.contains(slug) {
            diagnostics.push(SourceError::new(
                &source.path,
                Location::START,
                SourceErrorKind::UnknownCategory { name: slug.clone(), known: known.clone() },
            ));
        }
    }

    let mut by_slug: BTreeMap<&str, &Path> = BTreeMap::new();
    for session in &sessions {
        if !config.categories.contains(&session.category) {
            diagnostics.push(SourceError::new(
                &session.source.path,
                Location::START,
                SourceErrorKind::UnknownCategory {
                    name: session.category.clone(),
                    known: known.clone(),
                },
            ));
        }
        if let Some(other) = by_slug.insert(&session.slug, &session.source.path) {
            diagnostics.push(SourceError::new(
                &session.source.path,
                Location::START,
                SourceErrorKind::DuplicateSlug {
                    slug: session.slug.clone(),
                    other: format!("`{}`", other.display()),
                },
            ));
        }
    }
    let home = match home {
        Some(home) => home,
        None if present(&FileKind::Home) => return (None, diagnostics),
        None => {
            diagnostics.push(SourceError::new(
                "content/_index.md",
                Location::START,
                SourceErrorKind::MissingHome,
            ));
            return (None, diagnostics);
        }
    };
    sessions.retain(|s| {
        categories.contains_key(&s.category) && config.categories.contains(&s.category)
    });

    let rank = |category: &str| config.categories.iter().position(|c| c == category);
    sessions.sort_by(|a, b| {
        (rank(&a.category), a.meta.order.unwrap_or(i64::MAX), a.meta.day, &a.meta.title).cmp(&(
            rank(&b.category),
            b.meta.order.unwrap_or(i64::MAX),
            b.meta.day,
            &b.meta.title,
        ))
    });

    let categories = config
        .categories
        .iter()
        .filter_map(|slug| {
            let (meta, source) = categories.remove(slug)?;
            let members = (0..sessions.len()).filter(|&i| &sessions[i].category == slug).collect();
            Some(Category { slug: slug.clone(), meta, source, sessions: members })
        })
        .collect();

    let mut tags: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut speakers: BTreeMap<String, SpeakerEntry> = BTreeMap::new();
    for (i, session) in sessions.iter().enumerate() {
        for tag in &session.meta.tags {
            tags.entry(tag.clone()).or_default().push(i);
        }
        for speaker in &session.meta.speakers {
            let entry = speakers.entry(slugify(&speaker.name)).or_insert_with(|| SpeakerEntry {
                name: speaker.name.clone(),
                affiliations: BTreeSet::new(),
                handle: None,
                sessions: Vec::new(),
            });
            entry.affiliations.extend(speaker.affiliation.clone());
            if entry.handle.is_none() {
                entry.handle.clone_from(&speaker.handle);
            }
            entry.sessions.push(i);
        }
    }
    for entry in speakers.values_mut() {
        drop_bare_organisations(&mut entry.affiliations);
    }

    (Some(Site { config, home, categories, sessions, tags, speakers }), diagnostics)
}

/// Removes each affiliation that another one repeats with a role in parentheses: one session
/// may name the speaker's employer and another add their role there, and listing both says
/// the employer twice.
fn drop_bare_organisations(affiliations: &mut BTreeSet<String>) {
    let all = affiliations.clone();
    affiliations.retain(|bare| {
        !all.iter()
            .any(|other| other.strip_prefix(bare.as_str()).is_some_and(|r| r.starts_with(" (")))
    });
}

/// Parses one file. Its text becomes the body in place, so the model holds no second copy
/// of the content.
fn parse_file(file: SourceFile, conference_days: &[Date]) -> Result<Parsed, Diagnostics> {
    let SourceFile { rel_path, kind, mut text } = file;
    let path = rel_path.as_path();
    let one = |e: SourceError| Diagnostics::from_iter([e]);
    let split = front_matter::split(path, &text).map_err(one)?;
    let body_start = text.len() - split.body.text.len();
    let source = Source {
        path: path.to_path_buf(),
        body: String::new(),
        body_line_offset: split.body.line_offset,
    };
    let mut diagnostics = Diagnostics::default();
    let mut parsed = match kind {
        FileKind::Home => {
            Parsed::Home(front_matter::parse(path, &split).map_err(Diagnostics::from_iter)?, source)
        }
        FileKind::CategoryIndex { category } => Parsed::Category(
            category,
            front_matter::parse(path, &split).map_err(Diagnostics::from_iter)?,
            source,
        ),
        FileKind::Session { category, slug } => {
            if !is_slug(&slug) {
                diagnostics.push(SourceError::new(
                    path,
                    Location::START,
                    SourceErrorKind::InvalidSlug(format!("{slug}.md")),
                ));
            }
            let meta: SessionMeta = match front_matter::parse(path, &split) {
                Ok(meta) => meta,
                Err(errors) => {
                    diagnostics.extend(Diagnostics::from_iter(errors));
                    return Err(diagnostics);
                }
            };
            check_values(path, &split, &meta, conference_days, &mut diagnostics);
            Parsed::Session(Box::new(Session { category, slug, meta, source }))
        }
    };
    text.drain(..body_start);
    match &mut parsed {
        Parsed::Home(_, source) | Parsed::Category(_, _, source) => source.body = text,
        Parsed::Session(session) => session.source.body = text,
    }
    diagnostics.finish(parsed)
}

fn check_values(
    path: &Path,
    split: &Split<'_>,
    meta: &SessionMeta,
    conference_days: &[Date],
    out: &mut Diagnostics,
) {
    let mut invalid = |key: &str, message: String| {
        out.push(SourceError::new(
            path,
            field_location(split, key),
            SourceErrorKind::InvalidValue(message),
        ));
    };
    if let Some(day) = meta.day {
        match conference_days.get(usize::from(day).wrapping_sub(1)) {
            Some(date) if *date != meta.date => invalid(
                "date",
                format!(
                    "date {} is not day {day} of the conference, {date} (`conference_days` in \
                     site.toml): correct `date` or `day`",
                    meta.date
                ),
            ),
            Some(_) => {}
            None if conference_days.is_empty() => invalid(
                "day",
                format!(
                    "day {day} names a conference day, but site.toml has no `conference_days`: \
                     add `conference_days = [<day 1>, <day 2>, …]` (TOML dates) there, or \
                     remove `day`"
                ),
            ),
            None => invalid(
                "day",
                format!(
                    "day {day} is not a conference day (`conference_days` in site.toml has {}: \
                     expected {})",
                    conference_days.len(),
                    match conference_days.len() {
                        1 => "1".to_owned(),
                        2 => "1 or 2".to_owned(),
                        n => format!("1 to {n}"),
                    }
                ),
            ),
        }
    }
    if meta.speakers.is_empty() {
        invalid("speakers", "a session needs at least one speaker".to_owned());
    }
    for tag in &meta.tags {
        if !is_slug(tag) {
            invalid(
                "tags",
                format!("tag `{tag}` must be lowercase kebab-case (`{}`)", slugify(tag)),
            );
        }
    }
    for (key, url) in [
        ("slides", &meta.links.slides),
        ("video", &meta.links.video),
        ("source", &meta.links.source),
    ] {
        if let Some(url) = url
            && !url.starts_with("https://")
            && !url.starts_with("http://")
        {
            invalid(key, format!("link `{url}` must be an absolute http(s) URL"));
        }
    }
}

/// Where `key` is set in the front matter (the start of its line), or the file start.
fn field_location(split: &Split<'_>, key: &str) -> Location {
    let mut offset = 0;
    for line in split.front_matter.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with(['=', ':'])
        {
            let indent = line.len() - trimmed.len();
            return Location::from_offset(split.front_matter, offset + indent)
                .shifted(split.front_matter_line_offset);
        }
        offset += line.len();
    }
    Location::START
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_folds_accents_and_punctuation() {
        assert_eq!(slugify("Jérôme Petazzoni"), "jerome-petazzoni");
        assert_eq!(slugify("Diogo Mónica"), "diogo-monica");
        assert_eq!(slugify("Docker Inc."), "docker-inc");
        assert_eq!(slugify("  C++ & Go!  "), "c-go");
    }

    #[test]
    fn parses_dates_strictly() {
        assert_eq!(Date::parse("2015-11-16").map(|d| d.long()), Some("16 November 2015".into()));
        assert_eq!(Date::parse("2015-02-29"), None);
        assert_eq!(Date::parse("2016-02-29").map(|d| d.to_string()), Some("2016-02-29".into()));
        assert_eq!(Date::parse("2015-13-01"), None);
        assert_eq!(Date::parse("15-11-16"), None);
    }

    #[test]
    fn an_organisation_given_with_a_role_is_listed_once() {
        let mut affiliations: BTreeSet<String> =
            ["Docker", "Docker (Security Lead)", "Docker Inc", "Uber"].map(String::from).into();
        drop_bare_organisations(&mut affiliations);
        assert_eq!(
            affiliations.iter().collect::<Vec<_>>(),
            ["Docker (Security Lead)", "Docker Inc", "Uber"]
        );
    }

    #[test]
    fn accepts_only_kebab_case_slugs() {
        assert!(is_slug("ipvs-gorb-2"));
        assert!(!is_slug("IPVS"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug("-a"));
        assert!(!is_slug(""));
    }
}
