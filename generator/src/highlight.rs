//! Syntax highlighting with syntect, emitted as `hl-`-prefixed CSS classes.
//!
//! The syntax set is syntect's defaults plus bat's extra grammars from `two-face` (which bring
//! Dockerfile, TOML, INI and more); it is built once per process and shared by reference
//! across rendering threads. Colours live in one stylesheet, [`Highlighter::css`], with a
//! light theme and a dark one under `prefers-color-scheme: dark`.

use std::sync::LazyLock;

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
}

impl Default for Highlighter {
    fn default() -> Self {
        Self::new()
    }
}

impl Highlighter {
    /// The process-wide highlighter (the syntax set is loaded on first use).
    pub fn new() -> Self {
        Highlighter { syntaxes: &SYNTAXES }
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
