//! Syntax highlighting with syntect, emitted as `hl-`-prefixed CSS classes.
//!
//! The syntax set is syntect's defaults plus bat's extra grammars from `two-face` (which bring
//! Dockerfile, TOML, INI and more); it is built once per process and shared by reference
//! across rendering threads. Colours live in one stylesheet, [`Highlighter::css`], with a
//! light theme and a dark one under `prefers-color-scheme: dark`.
//!
//! Highlighting is most of a build's work, so its results persist between builds in
//! [`HighlightCache`], keyed by the language, the code and the generator's executable.

use std::collections::{HashMap, HashSet};
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use siphasher::sip128::{Hasher128, SipHasher13};

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// Languages written as "console" show a shell session: prompt lines are highlighted as
/// shell, the other lines are program output.
const CONSOLE_LANGUAGES: [&str; 3] = ["console", "shell-session", "shellsession"];
/// Languages that are plain text on purpose, without a warning.
const PLAIN_LANGUAGES: [&str; 3] = ["text", "plain", "txt"];

/// A code block rendered to HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlighted {
    /// `<pre>…</pre>` markup.
    pub html: String,
    /// Whether the language was recognised (an unknown one is rendered as plain text).
    pub known_language: bool,
}

/// The shared highlighter: the syntax set and the stylesheet's themes.
pub struct Highlighter {
    syntaxes: &'static SyntaxSet,
    cache: Option<HighlightCache>,
}

impl Default for Highlighter {
    fn default() -> Self {
        Self::new()
    }
}

impl Highlighter {
    /// The process-wide highlighter (the syntax set is loaded on first use).
    pub fn new() -> Self {
        Highlighter { syntaxes: &SYNTAXES, cache: None }
    }

    /// The process-wide highlighter, reusing and refilling `cache`.
    pub fn with_cache(cache: HighlightCache) -> Self {
        Highlighter { syntaxes: &SYNTAXES, cache: Some(cache) }
    }

    /// The cache given to [`Highlighter::with_cache`], holding what this highlighter did.
    pub fn into_cache(self) -> Option<HighlightCache> {
        self.cache
    }

    fn syntax(&self, lang: &str) -> Option<&SyntaxReference> {
        let lang = lang.to_ascii_lowercase();
        let token = match lang.as_str() {
            "sh" | "shell" | "zsh" => "bash",
            "golang" => "go",
            "yml" => "yaml",
            "docker" => "dockerfile",
            "py" => "python",
            "rs" => "rust",
            "patch" => "diff",
            other => other,
        };
        self.syntaxes
            .find_syntax_by_token(token)
            .or_else(|| self.syntaxes.find_syntax_by_name(token))
            .or_else(|| {
                self.syntaxes.syntaxes().iter().find(|s| s.name.eq_ignore_ascii_case(token))
            })
    }

    /// Renders `code` in `lang` (the fence's info string, possibly empty).
    pub fn highlight(&self, lang: &str, code: &str) -> Highlighted {
        let Some(cache) = &self.cache else { return self.highlight_uncached(lang, code) };
        let key = cache.key(lang, code);
        if let Some(found) = cache.get(key) {
            return found;
        }
        let highlighted = self.highlight_uncached(lang, code);
        cache.insert(key, &highlighted);
        highlighted
    }

    fn highlight_uncached(&self, lang: &str, code: &str) -> Highlighted {
        let lang = lang.trim();
        let lower = lang.to_ascii_lowercase();
        let data_lang = escape(&lower);
        if lang.is_empty() || PLAIN_LANGUAGES.contains(&lower.as_str()) {
            return Highlighted { html: plain(&data_lang, code), known_language: true };
        }
        if CONSOLE_LANGUAGES.contains(&lower.as_str()) {
            return Highlighted { html: self.console(code), known_language: true };
        }
        match self.syntax(lang) {
            Some(syntax) => {
                let body = self.classed(syntax, code);
                Highlighted {
                    html: format!(
                        "<pre class=\"code hl-code\" data-lang=\"{data_lang}\"><code>{body}</code></pre>"
                    ),
                    known_language: true,
                }
            }
            None => Highlighted { html: plain(&data_lang, code), known_language: false },
        }
    }

    fn classed(&self, syntax: &SyntaxReference, code: &str) -> String {
        let mut generator =
            ClassedHTMLGenerator::new_with_class_style(syntax, self.syntaxes, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            // The grammars come with syntect and two-face; a line they cannot parse is shown
            // unhighlighted rather than failing the build.
            if generator.parse_html_for_line_which_includes_newline(line).is_err() {
                return escape(code);
            }
        }
        generator.finalize()
    }

    fn console(&self, code: &str) -> String {
        let shell = self.syntax("bash");
        let mut body = String::with_capacity(code.len() * 2);
        for line in LinesWithEndings::from(code) {
            let prompt = ["$ ", "# "].into_iter().find(|p| line.starts_with(p));
            match (prompt, shell) {
                (Some(prompt), Some(shell)) => {
                    body.push_str("<span class=\"prompt\" aria-hidden=\"true\">");
                    body.push_str(&escape(prompt));
                    body.push_str("</span>");
                    body.push_str(&self.classed(shell, &line[prompt.len()..]));
                }
                _ => {
                    body.push_str("<span class=\"output\">");
                    body.push_str(&escape(line));
                    body.push_str("</span>");
                }
            }
        }
        format!(
            "<pre class=\"code hl-code console\" data-lang=\"console\"><code>{body}</code></pre>"
        )
    }

    /// The stylesheet for the classes this highlighter emits: a light theme, and a dark
    /// theme under `@media (prefers-color-scheme: dark)`.
    pub fn css(&self) -> String {
        let themes = ThemeSet::load_defaults();
        let mut css = String::from("/* Generated by the site generator from syntect themes. */\n");
        for (name, dark) in [("InspiredGitHub", false), ("base16-ocean.dark", true)] {
            let Some(theme) = themes.themes.get(name) else { continue };
            let Ok(rules) = css_for_theme_with_class_style(theme, CLASS_STYLE) else { continue };
            if dark {
                css.push_str("@media (prefers-color-scheme: dark) {\n");
                css.push_str(&rules);
                css.push_str("}\n");
            } else {
                css.push_str(&rules);
            }
        }
        css
    }
}

/// Highlighted code blocks kept on disk between builds, in `.cache/highlight.bin` under the
/// site root.
///
/// An entry is keyed by a 128-bit SipHash of the language, the code and a hash of the
/// running executable, which embeds the grammars, the themes and this code: any other
/// generator binary misses every entry, so an entry is never stale. The file ends with a
/// checksum; one that is unreadable, truncated or from another executable is ignored with a
/// warning or silently, and rewritten. Deleting it only makes the next build slower. Only the
/// entries a build used are saved, so the file does not grow with deleted code.
pub struct HighlightCache {
    path: PathBuf,
    executable: u64,
    previous: HashMap<u128, (bool, String)>,
    hits: Mutex<HashSet<u128>>,
    fresh: Mutex<HashMap<u128, (bool, String)>>,
}

const MAGIC: &[u8; 8] = b"HLCACHE1";

impl HighlightCache {
    /// Loads the cache of the site at `root`. Returns a warning, with the cache empty, when
    /// the file exists but cannot be used.
    pub fn load(root: &Path) -> (HighlightCache, Option<String>) {
        let path = root.join(".cache").join("highlight.bin");
        let executable =
            std::env::current_exe().and_then(std::fs::read).map_or(0, |bytes| hash64(&bytes));
        let mut cache = HighlightCache {
            path,
            executable,
            previous: HashMap::new(),
            hits: Mutex::new(HashSet::new()),
            fresh: Mutex::new(HashMap::new()),
        };
        let bytes = match crate::fs::read(&cache.path) {
            Ok(bytes) => bytes,
            Err(_) => return (cache, None),
        };
        match decode(&bytes, executable) {
            Decoded::Entries(entries) => cache.previous = entries,
            Decoded::Stale => {}
            Decoded::Corrupt => {
                let warning = "the highlight cache is damaged and was ignored; this build \
                               rewrites it"
                    .to_owned();
                return (cache, Some(warning));
            }
        }
        (cache, None)
    }

    fn key(&self, lang: &str, code: &str) -> u128 {
        let mut hasher = SipHasher13::new();
        hasher.write_u64(self.executable);
        hasher.write(lang.as_bytes());
        hasher.write_u8(0xff);
        hasher.write(code.as_bytes());
        hasher.finish128().as_u128()
    }

    fn get(&self, key: u128) -> Option<Highlighted> {
        let (known_language, html) = self.previous.get(&key)?;
        self.hits.lock().unwrap_or_else(|e| e.into_inner()).insert(key);
        Some(Highlighted { html: html.clone(), known_language: *known_language })
    }

    fn insert(&self, key: u128, highlighted: &Highlighted) {
        let entry = (highlighted.known_language, highlighted.html.clone());
        self.fresh.lock().unwrap_or_else(|e| e.into_inner()).insert(key, entry);
    }

    /// Writes the entries this build used, unless they are exactly those already on disk.
    pub fn save(self) -> anyhow::Result<()> {
        let hits = self.hits.into_inner().unwrap_or_else(|e| e.into_inner());
        let fresh = self.fresh.into_inner().unwrap_or_else(|e| e.into_inner());
        if fresh.is_empty() && hits.len() == self.previous.len() {
            return Ok(());
        }
        let mut previous = self.previous;
        previous.retain(|key, _| hits.contains(key));
        let mut entries: Vec<_> = previous.into_iter().chain(fresh).collect();
        entries.sort_unstable_by_key(|(key, _)| *key);
        let mut bytes =
            Vec::with_capacity(16 + entries.iter().map(|(_, (_, h))| h.len() + 21).sum::<usize>());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&self.executable.to_le_bytes());
        for (key, (known_language, html)) in &entries {
            bytes.extend_from_slice(&key.to_le_bytes());
            bytes.push(u8::from(*known_language));
            bytes.extend_from_slice(&(html.len() as u32).to_le_bytes());
            bytes.extend_from_slice(html.as_bytes());
        }
        let checksum = hash64(&bytes);
        bytes.extend_from_slice(&checksum.to_le_bytes());
        crate::fs::replace(&self.path, &bytes)
    }
}

enum Decoded {
    Entries(HashMap<u128, (bool, String)>),
    /// Written by another executable.
    Stale,
    Corrupt,
}

/// The file is `MAGIC`, the executable's hash, then per entry the key, the known-language
/// flag, the HTML's length (u32) and the HTML, and last a checksum of all that; little endian.
fn decode(bytes: &[u8], executable: u64) -> Decoded {
    let corrupt = Decoded::Corrupt;
    let Some((body, checksum)) = bytes.split_last_chunk::<8>() else { return corrupt };
    if body.len() < 16 || &body[..8] != MAGIC || hash64(body) != u64::from_le_bytes(*checksum) {
        return corrupt;
    }
    if body[8..16] != executable.to_le_bytes() {
        return Decoded::Stale;
    }
    let mut entries = HashMap::new();
    let mut rest = &body[16..];
    while !rest.is_empty() {
        let Some((head, tail)) = rest.split_at_checked(21) else { return corrupt };
        let key = u128::from_le_bytes(head[..16].try_into().unwrap_or_default());
        let len = u32::from_le_bytes(head[17..21].try_into().unwrap_or_default()) as usize;
        let Some((html, tail)) = tail.split_at_checked(len) else { return corrupt };
        let Ok(html) = std::str::from_utf8(html) else { return corrupt };
        entries.insert(key, (head[16] == 1, html.to_owned()));
        rest = tail;
    }
    Decoded::Entries(entries)
}

fn hash64(bytes: &[u8]) -> u64 {
    let mut hasher = SipHasher13::new();
    hasher.write(bytes);
    hasher.finish()
}

fn plain(data_lang: &str, code: &str) -> String {
    format!("<pre class=\"code\" data-lang=\"{data_lang}\"><code>{}</code></pre>", escape(code))
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_every_language_the_write_ups_use() {
        let h = Highlighter::new();
        for lang in [
            "bash",
            "sh",
            "console",
            "go",
            "yaml",
            "json",
            "dockerfile",
            "Dockerfile",
            "toml",
            "rust",
            "c",
            "python",
            "ini",
            "diff",
        ] {
            assert!(h.highlight(lang, "x\n").known_language, "{lang} should be known");
        }
    }

    #[test]
    fn emits_classes_not_inline_styles() {
        let html = Highlighter::new().highlight("rust", "fn main() {}\n").html;
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn unknown_language_is_escaped_plain_text() {
        let out = Highlighter::new().highlight("klingon", "<b>&</b>\n");
        assert!(!out.known_language);
        assert_eq!(
            out.html,
            "<pre class=\"code\" data-lang=\"klingon\"><code>&lt;b&gt;&amp;&lt;/b&gt;\n</code></pre>"
        );
    }

    #[test]
    fn console_separates_prompts_from_output() {
        let html = Highlighter::new().highlight("console", "$ echo hi\nhi\n").html;
        assert!(html.contains("<span class=\"prompt\" aria-hidden=\"true\">$ </span>"), "{html}");
        assert!(html.contains("<span class=\"output\">hi\n</span>"), "{html}");
    }

    #[test]
    fn css_has_a_dark_variant() {
        let css = Highlighter::new().css();
        assert!(css.contains(".hl-code"));
        assert!(css.contains("@media (prefers-color-scheme: dark)"));
    }
}
