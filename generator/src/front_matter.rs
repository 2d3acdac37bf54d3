//! Front matter: splits a content file into its metadata block and its Markdown body, and
//! deserializes the block (TOML between `+++` lines, or YAML between `---` lines).
//!
//! Every error is located in the file: TOML errors through `toml::de::Error::span`, YAML
//! errors through `serde_norway::Error::location`, both shifted past the opening fence line.
//! The body remembers the line it starts on, so Markdown errors are file-relative too.

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

/// Deserializes a split file's front matter into `T`.
pub fn parse<T: DeserializeOwned>(path: &Path, split: &Split<'_>) -> Result<T, SourceError> {
    match split.format {
        Format::Toml => parse_toml(path, split.front_matter, split.front_matter_line_offset),
        Format::Yaml => parse_yaml(path, split.front_matter, split.front_matter_line_offset),
    }
}

/// Deserializes TOML `text`, which starts `line_offset` lines into the file at `path`.
pub fn parse_toml<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    line_offset: u32,
) -> Result<T, SourceError> {
    toml::from_str(text).map_err(|err| {
        let location = err
            .span()
            .map_or(Location::START, |span| Location::from_offset(text, span.start))
            .shifted(line_offset);
        SourceError::new(path, location, SourceErrorKind::InvalidData(toml_message(&err)))
    })
}

fn toml_message(err: &toml::de::Error) -> String {
    err.message().trim_end().replace('\n', "; ")
}

fn parse_yaml<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    line_offset: u32,
) -> Result<T, SourceError> {
    // An empty YAML document is `null`; give the deserializer an empty mapping instead, so
    // that a missing required field is reported as such.
    let text_or_empty_map = if text.trim().is_empty() { "{}" } else { text };
    serde_norway::from_str(text_or_empty_map).map_err(|err| {
        let location = err.location().map_or(Location::START, |l| Location {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
        });
        let message = yaml_message(&err.to_string(), line_offset);
        SourceError::new(path, location.shifted(line_offset), SourceErrorKind::InvalidData(message))
    })
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
        let meta: Meta = parse(path, &split).map_err(|e| e.to_string())?;
        Ok((meta, split.body.line_offset, split.body.text.to_owned()))
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
