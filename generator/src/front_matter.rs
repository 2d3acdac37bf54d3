//! Front matter: splits a content file into its metadata block and its Markdown body, and
//! deserializes the block (TOML between `+++` lines, or YAML between `---` lines).
//!
//! Every error is located in the file: TOML errors through `toml::de::Error::span`, YAML
//! errors through `serde_norway::Error::location`, both shifted past the opening fence line.
//! A TOML block reports all its mistakes at once (see [`parse_toml`]); a YAML block, its first.
//! The body remembers the line it starts on, so Markdown errors are file-relative too.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Location, SourceError, SourceErrorKind};

/// The syntax of a front matter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `+++` fences.
    Toml,
    /// `---` fences.
    Yaml,
}

/// A file split into front matter and body.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// The syntax of the block.
    pub format: Format,
    /// The text between the fences.
    pub front_matter: &'a str,
    /// How many lines precede the front matter text (the opening fence).
    pub front_matter_line_offset: u32,
    /// The Markdown after the closing fence.
    pub body: Body<'a>,
}

/// The Markdown part of a content file.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    /// The Markdown text.
    pub text: &'a str,
    /// How many lines of the file precede the body.
    pub line_offset: u32,
}

/// Splits `text` at its front matter fences.
pub fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>, SourceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (fence, format) = match text.lines().next().map(str::trim_end) {
        Some("+++") => ("+++", Format::Toml),
        Some("---") => ("---", Format::Yaml),
        _ => {
            return Err(SourceError::new(
                path,
                Location::START,
                SourceErrorKind::MissingFrontMatter,
            ));
        }
    };
    let start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        if line.trim_end() == fence {
            let front_matter = &text[start..offset];
            let body_start = offset + line.len();
            let body_line_offset = count_lines(&text[..body_start]);
            return Ok(Split {
                format,
                front_matter,
                front_matter_line_offset: 1,
                body: Body { text: &text[body_start..], line_offset: body_line_offset },
            });
        }
        offset += line.len();
    }
    Err(SourceError::new(path, Location::START, SourceErrorKind::UnclosedFrontMatter(fence)))
}

fn count_lines(text: &str) -> u32 {
    u32::try_from(text.matches('\n').count()).unwrap_or(u32::MAX)
}

/// Deserializes a split file's front matter into `T`, or gives its errors (at least one).
pub fn parse<T: DeserializeOwned>(path: &Path, split: &Split<'_>) -> Result<T, Vec<SourceError>> {
    match split.format {
        Format::Toml => parse_toml(path, split.front_matter, split.front_matter_line_offset),
        Format::Yaml => parse_yaml(path, split.front_matter, split.front_matter_line_offset),
    }
}

/// At most this many errors are reported for one front matter block.
const MAX_ERRORS: usize = 20;

/// Deserializes TOML `text`, which starts `line_offset` lines into the file at `path`, or
/// gives every error in it (at least one), sorted by position.
///
/// serde stops at the first error, so each error's key-value is blanked out (with spaces,
/// its line breaks kept, so that later positions stay right) and the text deserialized again,
/// until it succeeds or nothing more can be told: an error in no key-value, a blanked text
/// that no longer parses, or a missing field. A syntax error in a value (`date = 2015-13-16`)
/// blanks its line. A missing field that was blanked out for its own error is not reported
/// again.
pub fn parse_toml<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    line_offset: u32,
) -> Result<T, Vec<SourceError>> {
    let mut errors = Vec::new();
    let mut blanked = Vec::new();
    let mut current = text.to_owned();
    loop {
        let err = match toml::from_str(&current) {
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => return Err(sorted(errors)),
            Err(err) => err,
        };
        let missing = missing_field(err.message());
        if missing.is_some_and(|field| blanked.iter().any(|b| b == field)) {
            return Err(sorted(errors));
        }
        let location = err
            .span()
            .map_or(Location::START, |span| Location::from_offset(text, span.start))
            .shifted(line_offset);
        errors.push(SourceError::new(
            path,
            location,
            SourceErrorKind::InvalidData(toml_message(&err)),
        ));
        let entry = err.span().filter(|_| missing.is_none()).and_then(|span| {
            entry_at(&current, span.start).or_else(|| line_at(&current, span.start))
        });
        let Some((range, key)) = entry.filter(|_| errors.len() < MAX_ERRORS) else {
            return Err(sorted(errors));
        };
        blank_out(&mut current, range);
        blanked.push(key);
        if toml::de::DeTable::parse(&current).is_err() {
            return Err(sorted(errors));
        }
    }
}

/// The field a serde "missing field `x`" message names.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `").and_then(|m| m.split('`').next())
}

/// Replaces `range` of `text` with spaces, keeping its line breaks, so that every later
/// position in `text` stays where it was.
fn blank_out(text: &mut String, range: Range<usize>) {
    let spaces: String =
        text[range.clone()].chars().map(|c| if c == '\n' || c == '\r' { c } else { ' ' }).collect();
    text.replace_range(range, &spaces);
}

fn sorted(mut errors: Vec<SourceError>) -> Vec<SourceError> {
    errors.sort_by_key(|e| e.location);
    errors
}

/// The byte range and key of the innermost key-value of TOML `text` that holds `offset`.
fn entry_at(text: &str, offset: usize) -> Option<(Range<usize>, String)> {
    fn search(table: &toml::de::DeTable<'_>, offset: usize) -> Option<(Range<usize>, String)> {
        table.iter().find_map(|(key, value)| {
            let range = key.span().start..value.span().end;
            if !range.contains(&offset) {
                return None;
            }
            let inner = match value.get_ref() {
                toml::de::DeValue::Table(table) => search(table, offset),
                toml::de::DeValue::Array(items) => {
                    items.iter().find_map(|item| match item.get_ref() {
                        toml::de::DeValue::Table(table) => search(table, offset),
                        _ => None,
                    })
                }
                _ => None,
            };
            inner.or_else(|| Some((range, key.get_ref().to_string())))
        })
    }
    search(toml::de::DeTable::parse(text).ok()?.get_ref(), offset)
}

/// The line of `text` that holds `offset` when it reads `key = …`, with its key: where a
/// syntax error leaves no parsed key-value to find.
fn line_at(text: &str, offset: usize) -> Option<(Range<usize>, String)> {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let (key, _) = text[start..end].split_once('=')?;
    let key = key.trim();
    let bare =
        !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    bare.then(|| (start..end, key.to_owned()))
}

fn toml_message(err: &toml::de::Error) -> String {
    err.message().trim_end().replace('\n', "; ")
}

/// Deserializes YAML `text`, which starts `line_offset` lines into the file at `path`, or
/// gives every error in it (at least one), sorted by position, the way [`parse_toml`] does:
/// the top-level entry holding each error (its `key:` line and the lines indented or listed
/// under it) is blanked out and the text deserialized again, until it succeeds or nothing
/// more can be told (the text is not YAML, or the error is in no top-level entry).
fn parse_yaml<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    line_offset: u32,
) -> Result<T, Vec<SourceError>> {
    let mut errors = Vec::new();
    let mut blanked = Vec::new();
    let mut current = text.to_owned();
    loop {
        // An empty YAML document is `null`; give the deserializer an empty mapping instead,
        // so that a missing required field is reported as such.
        let document = if current.trim().is_empty() { "{}" } else { current.as_str() };
        let err = match serde_norway::from_str(document) {
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => return Err(sorted(errors)),
            Err(err) => err,
        };
        let message = err.to_string();
        let missing = missing_field(&message);
        if missing.is_some_and(|field| blanked.iter().any(|b| b == field)) {
            return Err(sorted(errors));
        }
        let location = err.location().map_or(Location::START, |l| Location {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
        });
        errors.push(SourceError::new(
            path,
            location.shifted(line_offset),
            SourceErrorKind::InvalidData(yaml_message(&message, line_offset)),
        ));
        let syntax = serde_norway::from_str::<serde_norway::Value>(document).is_err();
        let entry = err
            .location()
            .filter(|_| missing.is_none() && !syntax)
            .and_then(|l| yaml_entry_at(&current, l.line()));
        let Some((range, key)) = entry.filter(|_| errors.len() < MAX_ERRORS) else {
            return Err(sorted(errors));
        };
        blank_out(&mut current, range);
        blanked.push(key);
    }
}

/// The byte range and key of the top-level entry of YAML `text` that holds line `line`
/// (1-based): its `key:` line, which starts the line, and the lines after it that are
/// indented, list items, comments or blank.
fn yaml_entry_at(text: &str, line: usize) -> Option<(Range<usize>, String)> {
    let starts_entry = |l: &str| !l.is_empty() && !l.starts_with([' ', '\t', '\r', '\n', '-', '#']);
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .collect();
    let first = (0..line.min(lines.len())).rev().find(|&i| starts_entry(lines[i].1))?;
    let (start, key_line) = lines[first];
    let key = key_line.split_once(':')?.0.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return None;
    }
    let end =
        lines[first + 1..].iter().find(|(_, l)| starts_entry(l)).map_or(text.len(), |(at, _)| *at);
    Some((start..end, key.to_owned()))
}

/// serde_norway's message without its own position (the diagnostic has it), and with any other
/// position it mentions made file-relative: `found unexpected end of stream at line 3 column 1,
/// while scanning a quoted scalar at line 2 column 10` → `found unexpected end of stream, while
/// scanning a quoted scalar at line 3 column 10` (with one line of fence).
fn yaml_message(message: &str, line_offset: u32) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    let mut first = true;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + " at line ".len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(line) = after[..digits].parse::<u32>() else {
            out.push_str(" at line ");
            rest = after;
            continue;
        };
        let tail = &after[digits..];
        let column_digits = tail
            .strip_prefix(" column ")
            .map_or(0, |t| " column ".len() + t.bytes().take_while(u8::is_ascii_digit).count());
        if !first {
            out.push_str(&format!(" at line {}{}", line + line_offset, &tail[..column_digits]));
        }
        first = false;
        rest = &tail[column_digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Meta {
        title: String,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn parse_str(text: &str) -> Result<(Meta, u32, String), String> {
        let path = Path::new("c/x.md");
        let split = split(path, text).map_err(|e| e.to_string())?;
        let meta: Meta = parse(path, &split).map_err(|errors| messages(&errors))?;
        Ok((meta, split.body.line_offset, split.body.text.to_owned()))
    }

    fn messages(errors: &[SourceError]) -> String {
        errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Talk {
        title: String,
        date: toml::value::Datetime,
        #[serde(default)]
        count: u32,
        #[serde(default)]
        people: Vec<Person>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Person {
        name: String,
    }

    fn talk(text: &str) -> Result<Talk, String> {
        parse_toml(Path::new("t.md"), text, 1).map_err(|errors| messages(&errors))
    }

    #[test]
    fn reports_every_mistake_of_a_toml_block_at_once() {
        let text = "titel = \"A\"\ntitle = \"A\"\ndate = 2015-13-16\ncount = \"many\"\n\
                    [[people]]\nname = \"B\"\nnmae = \"C\"\n";
        assert_eq!(
            talk(text).unwrap_err(),
            "t.md:2:1: unknown field `titel`, expected one of `title`, `date`, `count`, `people`\n\
             t.md:4:8: invalid date, expected month between 01 and 12\n\
             t.md:5:9: invalid type: string \"many\", expected u32\n\
             t.md:8:1: unknown field `nmae`, expected `name`"
        );
        let fixed =
            text.replace("titel = \"A\"\n", "").replace("13", "11").replace("\"many\"", "2");
        let talk = talk(&fixed.replace("nmae = \"C\"\n", "")).unwrap();
        assert_eq!(
            (talk.title.as_str(), talk.date.to_string(), talk.count),
            ("A", "2015-11-16".into(), 2)
        );
        assert_eq!(talk.people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["B"]);
    }

    #[test]
    fn a_field_blanked_for_its_own_error_is_not_also_missing_but_another_is() {
        assert_eq!(
            talk("title = \"A\"\ndate = \"soon\"\n").unwrap_err(),
            "t.md:3:8: invalid type: string \"soon\", expected a TOML datetime"
        );
        assert_eq!(
            talk("date = 2015-11-16\ntitel = \"A\"\n").unwrap_err(),
            "t.md:2:1: missing field `title`\n\
             t.md:3:1: unknown field `titel`, expected one of `title`, `date`, `count`, `people`"
        );
    }

    #[test]
    fn splits_toml_and_keeps_the_body_line() {
        let (meta, offset, body) = parse_str("+++\ntitle = \"A\"\n+++\nHello\n").unwrap();
        assert_eq!(meta.title, "A");
        assert!(meta.tags.is_empty());
        assert_eq!(offset, 3);
        assert_eq!(body, "Hello\n");
    }

    #[test]
    fn splits_yaml() {
        let (meta, offset, _) = parse_str("---\ntitle: B\ntags: [x]\n---\n\nbody").unwrap();
        assert_eq!((meta.title.as_str(), meta.tags.len(), offset), ("B", 1, 4));
    }

    #[test]
    fn locates_toml_errors_in_the_file() {
        let err = parse_str("+++\ntitle = \"A\"\ncolour = 1\n+++\n").unwrap_err();
        assert_eq!(err, "c/x.md:3:1: unknown field `colour`, expected `title` or `tags`");
    }

    #[test]
    fn locates_yaml_errors_in_the_file() {
        let err = parse_str("---\ntitle: A\ntags: 3\n---\n").unwrap_err();
        assert_eq!(err, "c/x.md:3:7: tags: invalid type: integer `3`, expected a sequence");
    }

    #[test]
    fn reports_every_mistake_of_a_yaml_block_at_once() {
        let text = "---\ntitel: A\ntitle: A\ntags:\n  - x\n  - [y]\ncolour: red\n---\n";
        assert_eq!(
            parse_str(text).unwrap_err(),
            "c/x.md:2:1: unknown field `titel`, expected `title` or `tags`\n\
             c/x.md:6:5: tags[1]: invalid type: sequence, expected a string\n\
             c/x.md:7:1: unknown field `colour`, expected `title` or `tags`"
        );
        let fixed = text.replace("titel: A\n", "").replace("[y]", "y").replace("colour: red\n", "");
        assert_eq!(parse_str(&fixed).unwrap().0.tags, ["x", "y"]);
        // A field blanked for its own error is not reported missing as well; another is.
        assert_eq!(
            parse_str("---\ntitle: [1]\n---\n").unwrap_err(),
            "c/x.md:2:8: title: invalid type: sequence, expected a string"
        );
        assert_eq!(
            parse_str("---\ntags: 3\n---\n").unwrap_err(),
            "c/x.md:2:1: missing field `title`\n\
             c/x.md:2:7: tags: invalid type: integer `3`, expected a sequence"
        );
    }

    #[test]
    fn makes_yaml_positions_file_relative() {
        let err = parse_str("---\ntitle: A\ntags: \"open\n---\n").unwrap_err();
        assert_eq!(
            err,
            "c/x.md:4:1: found unexpected end of stream, while scanning a quoted scalar at line 3 column 7"
        );
    }

    #[test]
    fn reports_missing_and_unclosed_fences() {
        assert_eq!(
            parse_str("title = 1\n").unwrap_err(),
            "c/x.md:1:1: missing front matter: start the file with a `+++` (TOML) or `---` (YAML) line"
        );
        assert_eq!(
            parse_str("+++\ntitle = \"A\"\n").unwrap_err(),
            "c/x.md:1:1: front matter opened with `+++` is never closed: add a line `+++` after it"
        );
    }
}
