//! Site configuration: `site.toml` at the site root.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Location, SourceError, SourceErrorKind};
use crate::front_matter;
use crate::model::Date;

/// The deserialized `site.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SiteConfig {
    /// The site's title, shown in every page's header.
    pub title: String,
    /// The absolute URL the site is served from (`https://example.org/notes/`).
    pub base_url: String,
    /// One sentence about the site, for the home page and meta tags.
    pub description: String,
    /// The pages' language (`lang` attribute).
    #[serde(default = "default_language")]
    pub language: String,
    /// Category directory names under `content/`, in the order they are listed.
    pub categories: Vec<String>,
    /// Whether raw HTML in Markdown is emitted as is (otherwise it is escaped).
    #[serde(default)]
    pub allow_html: bool,
    /// The conference's days in order: a session's `day = N` names the Nth, and its `date`
    /// must be that day. Without them, a session may not give a `day`.
    #[serde(default)]
    pub conference_days: Vec<Date>,
    /// Where each of `categories` is written in `site.toml`, for messages.
    #[serde(skip)]
    pub category_locations: Vec<Location>,
}

fn default_language() -> String {
    "en".to_owned()
}

impl SiteConfig {
    /// Parses `text`, the contents of `path` (relative to the site root, for messages), or
    /// gives its errors (at least one).
    pub fn parse(path: &Path, text: &str) -> Result<SiteConfig, Vec<SourceError>> {
        let mut config: SiteConfig = front_matter::parse_toml(path, text, 0)?;
        if !config.base_url.starts_with("http://") && !config.base_url.starts_with("https://") {
            let at =
                text.find("base_url").map_or(Location::START, |i| Location::from_offset(text, i));
            return Err(vec![SourceError::new(
                path,
                at,
                SourceErrorKind::InvalidValue(format!(
                    "base_url `{}` must be an absolute http(s) URL",
                    config.base_url
                )),
            )]);
        }
        if !config.base_url.ends_with('/') {
            config.base_url.push('/');
        }
        let list_start = text.find("categories").unwrap_or(0);
        config.category_locations = config
            .categories
            .iter()
            .map(|name| {
                text[list_start..]
                    .find(&format!("\"{name}\""))
                    .map_or(Location::START, |i| Location::from_offset(text, list_start + i))
            })
            .collect();
        Ok(config)
    }

    /// The path part of the base URL, with leading and trailing slashes (`/notes/`).
    pub fn base_path(&self) -> String {
        let after_scheme = self.base_url.split_once("://").map_or("", |(_, rest)| rest);
        match after_scheme.find('/') {
            Some(i) => after_scheme[i..].to_owned(),
            None => "/".to_owned(),
        }
    }

    /// The base URL replaced by `base_url` (from `--base-url`), validated the same way.
    pub fn with_base_url(mut self, base_url: &str) -> Result<SiteConfig, String> {
        if !base_url.starts_with("http://") && !base_url.starts_with("https://") {
            return Err(format!("--base-url `{base_url}` must be an absolute http(s) URL"));
        }
        self.base_url = base_url.to_owned();
        if !self.base_url.ends_with('/') {
            self.base_url.push('/');
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "title = \"T\"\nbase_url = \"https://example.org/notes\"\n\
                           description = \"D\"\ncategories = [\"a\"]\n";

    #[test]
    fn normalises_the_base_url() {
        let config = SiteConfig::parse(Path::new("site.toml"), MINIMAL).unwrap();
        assert_eq!(config.base_url, "https://example.org/notes/");
        assert_eq!(config.base_path(), "/notes/");
        assert_eq!(config.language, "en");
        assert!(!config.allow_html);
    }

    #[test]
    fn rejects_a_relative_base_url_with_its_line() {
        let text = MINIMAL.replace("https://example.org/notes", "/notes");
        let errors = SiteConfig::parse(Path::new("site.toml"), &text).unwrap_err();
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            "site.toml:2:1: base_url `/notes` must be an absolute http(s) URL"
        );
    }
}
