//! Syntax highlighting with syntect, emitted as short CSS classes.
//!
//! The grammars are bat's, from `two-face` (which bring Dockerfile, TOML, INI and more), except
//! for the languages in [`FROM_SYNTECT`], which come from syntect's own defaults; both sets are
//! built once per process and shared by reference across rendering threads. Colours live in one stylesheet, [`Highlighter::css`], with a
//! light theme and a dark one under `prefers-color-scheme: dark`.
//!
//! Each token is styled under both themes when the page is built, and a run of tokens that
//! looks the same in both becomes one flat `<span class="l3 d7">`: the light theme's colour
//! and font classes, then the dark theme's (see [`ThemeClasses`]). Naming every scope instead
//! (`hl-punctuation hl-definition hl-string hl-begin hl-shell`, nested per scope) made
//! highlighted code about five times larger.
//!
//! Highlighting is most of a build's work, so its results persist between builds in
//! [`HighlightCache`], keyed by the language, the code and the generator's executable.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::Hasher;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::UNIX_EPOCH;

use rustc_hash::FxHashMap;
use siphasher::sip128::{Hasher128, SipHasher13};

use syntect::highlighting::{Color, FontStyle, Style, Theme, ThemeSet};
use syntect::parsing::{
    ClearAmount, ParseState, ParsingError, Scope, ScopeStack, ScopeStackOp, SyntaxReference,
    SyntaxSet,
};
use syntect::util::LinesWithEndings;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);
static SYNTECT_SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Languages highlighted with syntect's bundled grammar rather than bat's: on the synthetic
/// corpus, syntect's Go grammar parses 2.0 times as many lines per second as bat's, and its
/// JSON grammar 1.4 times; for bash, Rust and YAML the two are within 10 % and bat's is kept.
/// Both mark keywords, strings, comments, numbers and names with the standard scopes the
/// themes colour.
const FROM_SYNTECT: [&str; 2] = ["go", "json"];

/// The stylesheet's themes: light (class prefix `l`), and dark (`d`) under
/// `prefers-color-scheme: dark`.
static THEMES: LazyLock<[ThemeClasses; 2]> = LazyLock::new(|| {
    let mut set = ThemeSet::load_defaults();
    let mut take = |name: &str| set.themes.remove(name).unwrap_or_default();
    [
        ThemeClasses::new(take("InspiredGitHub"), 'l', "not all and (prefers-color-scheme: dark)"),
        ThemeClasses::new(take("base16-ocean.dark"), 'd', "(prefers-color-scheme: dark)"),
    ]
});

thread_local! {
    /// The looks met on this thread: theme rules are matched once per distinct scope stack,
    /// and a look's opening tag written once, not once per token.
    static LOOKS: RefCell<Looks> = RefCell::default();
    /// The grammar found for each language (lowercase) on this thread.
    static GRAMMARS: RefCell<FxHashMap<String, Option<(&'static SyntaxSet, &'static SyntaxReference)>>> =
        RefCell::default();
    /// Lines already parsed on this thread, and what parsing them did.
    static LINES: RefCell<LineMemo> = RefCell::new(LineMemo::new(LINE_MEMO_CAPACITY));
}

/// How many lines a thread's [`LineMemo`] holds before it starts over, bounding its memory
/// (about 300 bytes a line, 30 packed operations of 4 bytes and the entry's share of the
/// map; 40 MB for the two threads of a 10,000-page build) on a site of any size.
const LINE_MEMO_CAPACITY: usize = 1 << 16;

/// Memoized line parses: [`ParseState::parse_line`] is a function of the parser's state
/// before the line and of the line alone, so a line met again in the same state yields the
/// same operations and the same state after it, which are taken from here instead of
/// running the grammar's regexes again. It finds 40 % of the code lines of the 10,000-page
/// synthetic corpus (34 % at 1,000 pages; 19 of the real site's 228), whose generator draws
/// lines from pools; see the README's "Speed at scale". Lines are keyed by their 128-bit
/// XXH3 hash, as [`HighlightCache`] keys blocks by a 128-bit hash; states are shared by `Rc`
/// (a state the line leaves unchanged is the same `Rc`), and operations are packed in 32
/// bits each (see [`LineMemo::pack`]) into one buffer.
struct LineMemo {
    /// How many lines it holds before it starts over.
    capacity: usize,
    /// The [`Highlighter`] it holds the lines of.
    highlighter: u64,
    /// Per grammar set and line hash, the last of its entries in `lines`.
    last: FxHashMap<(usize, u128), u32>,
    lines: Vec<MemoLine>,
    packed: Vec<u32>,
    /// The scopes pushed by the operations, which packed operations refer to by index.
    scopes: Vec<Scope>,
    scope_index: FxHashMap<Scope, u32>,
    /// The operations of the line last parsed or unpacked.
    ops: Vec<(usize, ScopeStackOp)>,
}

/// A line as parsed from one state.
struct MemoLine {
    before: Rc<ParseState>,
    after: Rc<ParseState>,
    /// Its operations, `packed[ops.0..ops.1]`.
    ops: (u32, u32),
    /// The entry of the same line in another state, or `u32::MAX`.
    previous: u32,
}

impl LineMemo {
    fn new(capacity: usize) -> Self {
        LineMemo {
            capacity,
            highlighter: 0,
            last: FxHashMap::default(),
            lines: Vec::new(),
            packed: Vec::new(),
            scopes: Vec::new(),
            scope_index: FxHashMap::default(),
            ops: Vec::new(),
        }
    }

    /// Readies the memo for a block of `highlighter`'s: forgets every line unless it holds
    /// that highlighter's already.
    fn begin(&mut self, highlighter: u64) {
        if self.highlighter != highlighter {
            self.highlighter = highlighter;
            self.clear();
        }
    }

    fn clear(&mut self) {
        self.last.clear();
        self.lines.clear();
        self.packed.clear();
    }

    /// Parses `line` from `state`, moves `state` past it and returns the line's operations.
    fn parse(
        &mut self,
        state: &mut Rc<ParseState>,
        line: &str,
        set: &SyntaxSet,
    ) -> Result<&[(usize, ScopeStackOp)], ParsingError> {
        let key = (std::ptr::from_ref(set) as usize, xxhash_rust::xxh3::xxh3_128(line.as_bytes()));
        let mut at = self.last.get(&key).copied().unwrap_or(u32::MAX);
        while let Some(met) = self.lines.get(at as usize) {
            if Rc::ptr_eq(&met.before, state) || *met.before == **state {
                *state = Rc::clone(&met.after);
                let packed = &self.packed[met.ops.0 as usize..met.ops.1 as usize];
                self.ops.clear();
                self.ops.extend(packed.iter().map(|&word| Self::unpack(word, &self.scopes)));
                return Ok(&self.ops);
            }
            at = met.previous;
        }
        let before = Rc::clone(state);
        let mut parse = ParseState::clone(&before);
        self.ops = parse.parse_line(line, set)?;
        *state = if parse == *before { Rc::clone(&before) } else { Rc::new(parse) };
        if self.lines.len() == self.capacity {
            self.clear();
        }
        let start = self.packed.len();
        for i in 0..self.ops.len() {
            let Some(word) = self.pack(i) else {
                self.packed.truncate(start);
                return Ok(&self.ops);
            };
            self.packed.push(word);
        }
        let (Ok(first), Ok(end), Ok(index)) = (
            u32::try_from(start),
            u32::try_from(self.packed.len()),
            u32::try_from(self.lines.len()),
        ) else {
            return Ok(&self.ops);
        };
        let previous = self.last.insert(key, index).unwrap_or(u32::MAX);
        self.lines.push(MemoLine { before, after: Rc::clone(state), ops: (first, end), previous });
        Ok(&self.ops)
    }

    /// Packs the `i`th operation of `self.ops`: its offset in the line in the high 16 bits,
    /// a 3-bit kind and a 13-bit operand (a scope's index, a count). `None` when a value does
    /// not fit, and the line is then not memoized.
    fn pack(&mut self, i: usize) -> Option<u32> {
        const OPERAND: u32 = 1 << 13;
        let (at, op) = &self.ops[i];
        let small = |n: usize| u32::try_from(n).ok().filter(|&n| n < OPERAND);
        let (kind, operand) = match op {
            ScopeStackOp::Push(scope) => match self.scope_index.get(scope) {
                Some(&index) => (0, index),
                None => {
                    let index = small(self.scopes.len())?;
                    self.scopes.push(*scope);
                    self.scope_index.insert(*scope, index);
                    (0, index)
                }
            },
            ScopeStackOp::Pop(n) => (1, small(*n)?),
            ScopeStackOp::Clear(ClearAmount::TopN(n)) => (2, small(*n)?),
            ScopeStackOp::Clear(ClearAmount::All) => (3, 0),
            ScopeStackOp::Restore => (4, 0),
            ScopeStackOp::Noop => (5, 0),
        };
        Some(u32::from(u16::try_from(*at).ok()?) << 16 | kind << 13 | operand)
    }

    fn unpack(word: u32, scopes: &[Scope]) -> (usize, ScopeStackOp) {
        let operand = (word & ((1 << 13) - 1)) as usize;
        let op = match (word >> 13) & 0b111 {
            0 => ScopeStackOp::Push(scopes[operand]),
            1 => ScopeStackOp::Pop(operand),
            2 => ScopeStackOp::Clear(ClearAmount::TopN(operand)),
            3 => ScopeStackOp::Clear(ClearAmount::All),
            4 => ScopeStackOp::Restore,
            _ => ScopeStackOp::Noop,
        };
        ((word >> 16) as usize, op)
    }
}

/// Scope stacks to what the two themes make of them, as indices into `tags`.
#[derive(Default)]
struct Looks {
    by_stack: FxHashMap<Vec<Scope>, usize>,
    /// Each distinct pair of looks (light, dark) and its opening tag, empty when both themes
    /// show the text plainly.
    tags: Vec<((Look, Look), String)>,
}

impl Looks {
    /// The index of the looks of `scopes`, matched against the themes' rules the first time.
    fn of(&mut self, scopes: &[Scope]) -> usize {
        if let Some(&i) = self.by_stack.get(scopes) {
            return i;
        }
        let [light, dark] = &*THEMES;
        let looks = (
            light.look(light.highlighter.style_for_stack(scopes)),
            dark.look(dark.highlighter.style_for_stack(scopes)),
        );
        let i = match self.tags.iter().position(|(l, _)| *l == looks) {
            Some(i) => i,
            None => {
                self.tags.push((looks, open_tag(looks)));
                self.tags.len() - 1
            }
        };
        self.by_stack.insert(scopes.to_vec(), i);
        i
    }
}

/// `<span class="…">` for a pair of looks, or nothing when both are the themes' plain text.
fn open_tag((light, dark): (Look, Look)) -> String {
    let [light_classes, dark_classes] = &*THEMES;
    if (light, dark) == (light_classes.plain, dark_classes.plain) {
        return String::new();
    }
    let mut tag = String::from("<span class=\"");
    let start = tag.len();
    light_classes.push_classes(light, &mut tag);
    dark_classes.push_classes(dark, &mut tag);
    tag.remove(start);
    tag.push_str("\">");
    tag
}

/// A theme's styles as CSS classes. Every colour a token can get is the theme's default or
/// one of its rules' (syntect replaces a style's colours, it never blends them), so the
/// sorted set of those colours is a palette, and `{prefix}{i}` gives a token the `i`-th
/// colour as its foreground, `{prefix}g{i}` as its background, and `{prefix}b`, `{prefix}i`,
/// `{prefix}u` its font style. The classes apply only under the theme's media query.
struct ThemeClasses {
    highlighter: syntect::highlighting::Highlighter<'static>,
    prefix: char,
    media: &'static str,
    palette: Vec<Color>,
    default: Style,
    /// The look of text that no rule styles.
    plain: Look,
}

/// A token's look under one theme: palette indices of its colours and its font style.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Look {
    fg: usize,
    bg: usize,
    font: FontStyle,
}

impl ThemeClasses {
    fn new(theme: Theme, prefix: char, media: &'static str) -> Self {
        let theme: &'static Theme = Box::leak(Box::new(theme));
        let highlighter = syntect::highlighting::Highlighter::new(theme);
        let default = highlighter.get_default();
        let mut palette = vec![default.foreground, default.background];
        for item in &theme.scopes {
            palette.extend(item.style.foreground.into_iter().chain(item.style.background));
        }
        palette.sort_by_key(|c| rgba(*c));
        palette.dedup();
        let index = |c: Color| palette.binary_search_by_key(&rgba(c), |p| rgba(*p));
        let plain = Look {
            fg: index(default.foreground).unwrap_or_default(),
            bg: index(default.background).unwrap_or_default(),
            font: FontStyle::empty(),
        };
        ThemeClasses { highlighter, prefix, media, palette, default, plain }
    }

    fn look(&self, style: Style) -> Look {
        let index = |c: Color| self.palette.binary_search_by_key(&rgba(c), |p| rgba(*p));
        Look {
            fg: index(style.foreground).unwrap_or(self.plain.fg),
            bg: index(style.background).unwrap_or(self.plain.bg),
            font: style.font_style,
        }
    }

    /// Appends the classes of `look` to a `class` attribute being written.
    fn push_classes(&self, look: Look, out: &mut String) {
        use std::fmt::Write;
        let p = self.prefix;
        let _ = write!(out, " {p}{}", look.fg);
        if look.bg != self.plain.bg {
            let _ = write!(out, " {p}g{}", look.bg);
        }
        for (flag, letter) in
            [(FontStyle::BOLD, 'b'), (FontStyle::ITALIC, 'i'), (FontStyle::UNDERLINE, 'u')]
        {
            if look.font.contains(flag) {
                let _ = write!(out, " {p}{letter}");
            }
        }
    }

    /// This theme's rules, under its media query.
    fn css(&self, css: &mut String) {
        use std::fmt::Write;
        let p = self.prefix;
        let (fg, bg) = (hex(self.default.foreground), hex(self.default.background));
        let _ = writeln!(css, "@media {} {{", self.media);
        let _ = writeln!(css, ".hl-code {{ color: {fg}; background-color: {bg}; }}");
        for (i, c) in self.palette.iter().enumerate() {
            let c = hex(*c);
            let _ = writeln!(css, ".hl-code .{p}{i} {{ color: {c}; }}");
            let _ = writeln!(css, ".hl-code .{p}g{i} {{ background-color: {c}; }}");
        }
        let _ = writeln!(css, ".hl-code .{p}b {{ font-weight: bold; }}");
        let _ = writeln!(css, ".hl-code .{p}i {{ font-style: italic; }}");
        let _ = writeln!(css, ".hl-code .{p}u {{ text-decoration: underline; }}");
        css.push_str("}\n");
    }
}

fn rgba(c: Color) -> (u8, u8, u8, u8) {
    (c.r, c.g, c.b, c.a)
}

fn hex(c: Color) -> String {
    if c.a == 0xff {
        format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b)
    } else {
        format!("#{:02x}{:02x}{:02x}{:02x}", c.r, c.g, c.b, c.a)
    }
}

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

/// The shared highlighter: the syntax sets and the stylesheet's themes.
pub struct Highlighter {
    cache: Option<HighlightCache>,
    /// This highlighter's number, by which each thread's [`LineMemo`] is emptied when another
    /// highlighter, hence another build, uses it: a build starts with nothing memoized, and a
    /// cold build measured in a process that ran others is still cold.
    id: u64,
}

/// The number of the next [`Highlighter`].
static NEXT_HIGHLIGHTER: AtomicU64 = AtomicU64::new(0);

impl Default for Highlighter {
    fn default() -> Self {
        Self::new()
    }
}

impl Highlighter {
    /// The process-wide highlighter (the syntax sets are loaded on first use).
    pub fn new() -> Self {
        Highlighter { cache: None, id: NEXT_HIGHLIGHTER.fetch_add(1, Ordering::Relaxed) }
    }

    /// The process-wide highlighter, reusing and refilling `cache`.
    pub fn with_cache(cache: HighlightCache) -> Self {
        Highlighter { cache: Some(cache), ..Self::new() }
    }

    /// The cache given to [`Highlighter::with_cache`], holding what this highlighter did.
    pub fn into_cache(self) -> Option<HighlightCache> {
        self.cache
    }

    /// The grammar for `lang` (lowercase), with the set it belongs to (its includes resolve
    /// there), looked up once per language and thread: syntect's search by name lowercases
    /// every grammar's name, for each code block.
    fn syntax(&self, lang: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
        GRAMMARS.with_borrow_mut(|found| match found.get(lang) {
            Some(grammar) => *grammar,
            None => *found.entry(lang.to_owned()).or_insert(find_syntax(lang)),
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
        match self.syntax(&lower) {
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

    fn classed(&self, (set, syntax): (&SyntaxSet, &SyntaxReference), code: &str) -> String {
        let mut parse = Rc::new(ParseState::new(syntax));
        let mut stack = ScopeStack::new();
        let mut out = String::with_capacity(code.len() * 2);
        LINES.with_borrow_mut(|lines| {
            lines.begin(self.id);
            LOOKS.with_borrow_mut(|looks| {
                // The run being written: its looks' index and its escaped text.
                let mut run = (looks.of(&[]), String::new());
                for line in LinesWithEndings::from(code) {
                    // The grammars come with syntect and two-face; a line they cannot parse is
                    // shown unhighlighted rather than failing the build.
                    let Ok(ops) = lines.parse(&mut parse, line, set) else { return escape(code) };
                    let mut start = 0;
                    let ends = ops.iter().map(|(at, _)| *at).chain([line.len()]);
                    for (i, end) in ends.enumerate() {
                        if end > start {
                            let look = looks.of(stack.as_slice());
                            if look != run.0 {
                                write_run(&looks.tags[run.0].1, &run.1, &mut out);
                                run.0 = look;
                                run.1.clear();
                            }
                            escape_into(&mut run.1, &line[start..end]);
                            start = end;
                        }
                        if let Some((_, op)) = ops.get(i) {
                            // An op syntect's parser produced applies to the stack it tracks.
                            if stack.apply(op).is_err() {
                                return escape(code);
                            }
                        }
                    }
                }
                write_run(&looks.tags[run.0].1, &run.1, &mut out);
                out
            })
        })
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
        let mut css = String::from("/* Generated by the site generator from syntect themes. */\n");
        for theme in &*THEMES {
            theme.css(&mut css);
        }
        css
    }
}

/// The grammar for `lang` (lowercase) and its set, by token, name or name in any case.
fn find_syntax(lang: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
    let token = match lang {
        "sh" | "shell" | "zsh" => "bash",
        "golang" => "go",
        "yml" => "yaml",
        "docker" => "dockerfile",
        "py" => "python",
        "rs" => "rust",
        "patch" => "diff",
        other => other,
    };
    let set: &'static SyntaxSet =
        if FROM_SYNTECT.contains(&token) { &SYNTECT_SYNTAXES } else { &SYNTAXES };
    let syntax = set
        .find_syntax_by_token(token)
        .or_else(|| set.find_syntax_by_name(token))
        .or_else(|| set.syntaxes().iter().find(|s| s.name.eq_ignore_ascii_case(token)))?;
    Some((set, syntax))
}

/// Writes a run of tokens with the same looks: bare text when `tag`, its opening tag, is empty.
fn write_run(tag: &str, text: &str, out: &mut String) {
    if text.is_empty() {
        return;
    }
    out.push_str(tag);
    out.push_str(text);
    if !tag.is_empty() {
        out.push_str("</span>");
    }
}

/// Highlighted code blocks kept on disk between builds, in `.cache/highlight.bin` under the
/// site root.
///
/// An entry is keyed by a 128-bit SipHash of the language, the code and the identity of the
/// running executable (its size, modification time and inode), which embeds the grammars, the
/// themes and this code: any other generator binary misses every entry, so an entry is never
/// stale. The file ends with a checksum; one that is unreadable, truncated or from another
/// executable is ignored with a warning or silently, and rewritten. Deleting it only makes the next build slower. Only the
/// entries a build used are saved, so the file does not grow with deleted code.
pub struct HighlightCache {
    path: PathBuf,
    executable: u64,
    /// The file as read: the entries' HTML is taken from it, not copied out at load.
    file: Vec<u8>,
    /// The file's entries: the known-language flag and where the HTML is in `file`.
    previous: HashMap<u128, (bool, Range<usize>)>,
    hits: Mutex<HashSet<u128>>,
    fresh: Mutex<HashMap<u128, (bool, String)>>,
}

const MAGIC: &[u8; 8] = b"HLCACHE1";

impl HighlightCache {
    /// Loads the cache of the site at `root`. Returns a warning, with the cache empty, when
    /// the file exists but cannot be used.
    pub fn load(root: &Path) -> (HighlightCache, Option<String>) {
        let path = root.join(".cache").join("highlight.bin");
        let executable = executable_hash();
        let mut cache = HighlightCache {
            path,
            executable,
            file: Vec::new(),
            previous: HashMap::new(),
            hits: Mutex::new(HashSet::new()),
            fresh: Mutex::new(HashMap::new()),
        };
        let bytes = match crate::fs::read(&cache.path) {
            Ok(bytes) => bytes,
            Err(_) => return (cache, None),
        };
        match decode(&bytes, executable) {
            Decoded::Entries(entries) => {
                cache.previous = entries;
                cache.file = bytes;
            }
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
        let (known_language, range) = self.previous.get(&key)?;
        // `decode` checked that every entry is UTF-8.
        let html = std::str::from_utf8(&self.file[range.clone()]).ok()?.to_owned();
        self.hits.lock().unwrap_or_else(|e| e.into_inner()).insert(key);
        Some(Highlighted { html, known_language: *known_language })
    }

    fn insert(&self, key: u128, highlighted: &Highlighted) {
        let entry = (highlighted.known_language, highlighted.html.clone());
        self.fresh.lock().unwrap_or_else(|e| e.into_inner()).insert(key, entry);
    }

    /// Writes the entries this build used, unless they are exactly those already on disk.
    /// The file is written as it is encoded, never held whole in memory a second time.
    pub fn save(self) -> anyhow::Result<()> {
        let hits = self.hits.into_inner().unwrap_or_else(|e| e.into_inner());
        let fresh = self.fresh.into_inner().unwrap_or_else(|e| e.into_inner());
        if fresh.is_empty() && hits.len() == self.previous.len() {
            return Ok(());
        }
        let kept = self.previous.iter().filter(|(key, _)| hits.contains(*key));
        let mut entries: Vec<(u128, bool, &[u8])> = kept
            .map(|(&key, (known, range))| (key, *known, &self.file[range.clone()]))
            .chain(fresh.iter().map(|(&key, (known, html))| (key, *known, html.as_bytes())))
            .collect();
        entries.sort_unstable_by_key(|&(key, ..)| key);
        crate::fs::replace_with(&self.path, |out| {
            let mut out = Checksummed { out, hasher: SipHasher13::new() };
            out.write_all(MAGIC)?;
            out.write_all(&self.executable.to_le_bytes())?;
            for (key, known_language, html) in entries {
                out.write_all(&key.to_le_bytes())?;
                out.write_all(&[u8::from(known_language)])?;
                out.write_all(&(html.len() as u32).to_le_bytes())?;
                out.write_all(html)?;
            }
            let checksum = out.hasher.finish();
            out.out.write_all(&checksum.to_le_bytes())
        })
    }
}

/// A writer that hashes what goes through it, for the cache file's checksum.
struct Checksummed<'a> {
    out: &'a mut dyn Write,
    hasher: SipHasher13,
}

impl Write for Checksummed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(buf)?;
        self.hasher.write(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

enum Decoded {
    /// The known-language flag and the HTML's place in the file, by key.
    Entries(HashMap<u128, (bool, Range<usize>)>),
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
        if std::str::from_utf8(html).is_err() {
            return corrupt;
        }
        let start = bytes.len() - 8 - tail.len() - len;
        entries.insert(key, (head[16] == 1, start..start + len));
        rest = tail;
    }
    Decoded::Entries(entries)
}

/// The running executable's identity (0 if it cannot be read): what it renders can change
/// with any change to the generator or its syntax set. A build of the generator writes a new
/// file, so its size, modification time and inode tell it apart, as `make` would, without
/// reading its megabytes on every build.
pub(crate) fn executable_hash() -> u64 {
    static HASH: LazyLock<u64> = LazyLock::new(|| {
        let Ok(metadata) = std::env::current_exe().and_then(|exe| crate::fs::metadata(&exe)) else {
            return 0;
        };
        let mut hasher = SipHasher13::new();
        hasher.write_u64(metadata.len());
        let modified = metadata.modified().ok().and_then(|m| m.duration_since(UNIX_EPOCH).ok());
        hasher.write_u128(modified.map_or(0, |d| d.as_nanos()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            hasher.write_u64(metadata.dev());
            hasher.write_u64(metadata.ino());
        }
        hasher.finish()
    });
    *HASH
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
    escape_into(&mut out, text);
    out
}

/// [`escape`], appending to `out`.
fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    // The escaped characters are ASCII, so each one found ends a run of whole characters.
    while let Some(i) = rest.bytes().position(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
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
    fn emits_flat_spans_with_classes_the_stylesheet_defines() {
        let h = Highlighter::new();
        let html = h.highlight("rust", "fn main() {\n    let s = \"x\";\n}\n").html;
        assert!(!html.contains("style="), "{html}");
        assert!(!html.contains("<span class=\"hl-"), "{html}");
        let css = h.css();
        let mut spans = 0;
        for part in html.split("<span class=\"").skip(1) {
            let (classes, rest) = part.split_once("\">").unwrap();
            assert!(!rest.starts_with("<span"), "spans are not nested: {html}");
            for class in classes.split(' ') {
                assert!(css.contains(&format!(".hl-code .{class} {{")), "{class} in {css}");
            }
            assert!(classes.starts_with('l') && classes.contains(" d"), "{classes}");
            spans += 1;
        }
        assert!(spans >= 3, "fn, the string and more are coloured: {html}");
        assert!(html.contains("main"), "{html}");
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
    fn css_has_a_light_and_a_dark_variant() {
        let css = Highlighter::new().css();
        assert!(css.contains("@media not all and (prefers-color-scheme: dark) {\n.hl-code {"));
        assert!(css.contains("@media (prefers-color-scheme: dark) {\n.hl-code {"));
        assert!(css.contains(".hl-code .lb { font-weight: bold; }"));
        assert!(css.contains(".hl-code .d0 { color: #"));
    }

    /// Parses `code` line by line with `memo` and, alongside, with syntect's parser alone.
    fn parse_both(memo: &mut LineMemo, code: &str) -> Vec<(usize, ScopeStackOp)> {
        let (set, syntax) = find_syntax("rust").expect("a Rust grammar");
        let mut memoized = Rc::new(ParseState::new(syntax));
        let mut plain = ParseState::new(syntax);
        let mut first_ops = Vec::new();
        for (i, line) in LinesWithEndings::from(code).enumerate() {
            let ops = memo.parse(&mut memoized, line, set).expect("parsed").to_vec();
            assert_eq!(ops, plain.parse_line(line, set).expect("parsed"), "line {}", i + 1);
            assert!(*memoized == plain, "state after line {}", i + 1);
            if i == 0 {
                first_ops = ops;
            }
        }
        first_ops
    }

    #[test]
    fn a_line_met_again_in_the_same_state_is_taken_from_the_memo() {
        let mut memo = LineMemo::new(LINE_MEMO_CAPACITY);
        // The first line leaves the state of a first line; then `let x = 1;` is met in the
        // state outside a comment, inside one (another state, another entry), and outside
        // again, found.
        let code = "// start\nlet x = 1;\n/*\nlet x = 1;\n*/\nlet x = 1;\n";
        let first = parse_both(&mut memo, code);
        assert_eq!(memo.lines.len(), 5);
        assert_eq!(memo.last.len(), 4);
        assert!(first.iter().any(|(_, op)| matches!(op, ScopeStackOp::Push(_))));
        parse_both(&mut memo, code);
        assert_eq!(memo.lines.len(), 5, "a second pass finds every line");
    }

    #[test]
    fn a_full_memo_starts_over() {
        let mut memo = LineMemo::new(2);
        parse_both(&mut memo, "let a = 1;\nlet b = 2;\nlet c = 3;\n");
        assert_eq!((memo.lines.len(), memo.last.len(), memo.packed.len()), (1, 1, 8));
        parse_both(&mut memo, "let b = 2;\nlet c = 3;\n");
        assert_eq!(memo.lines.len(), 2, "`let b = 2;` was forgotten, `let c = 3;` was not");
        parse_both(&mut memo, "let a = 1;\n");
        assert_eq!(memo.lines.len(), 1, "`let a = 1;` was forgotten, and filled it again");
    }

    #[test]
    fn operations_survive_packing_or_are_not_packed() {
        let scope = Scope::new("keyword.control.rust").expect("a scope");
        let mut memo = LineMemo::new(LINE_MEMO_CAPACITY);
        memo.ops = vec![
            (0, ScopeStackOp::Push(scope)),
            (3, ScopeStackOp::Pop(2)),
            (4, ScopeStackOp::Clear(ClearAmount::TopN(1))),
            (5, ScopeStackOp::Clear(ClearAmount::All)),
            (6, ScopeStackOp::Restore),
            (65_535, ScopeStackOp::Noop),
            (65_536, ScopeStackOp::Noop),
            (0, ScopeStackOp::Pop(1 << 13)),
        ];
        let packed: Vec<Option<u32>> = (0..memo.ops.len()).map(|i| memo.pack(i)).collect();
        let unpacked: Vec<_> =
            packed.iter().flatten().map(|&word| LineMemo::unpack(word, &memo.scopes)).collect();
        assert_eq!(unpacked, memo.ops[..6]);
        assert_eq!(packed[6..], [None, None]);
    }

    #[test]
    fn each_highlighter_starts_with_nothing_memoized() {
        let code = "let x = 1;\n";
        let [first, second] = [Highlighter::new(), Highlighter::new()];
        first.highlight("rust", code);
        let held = || LINES.with_borrow(|memo| memo.lines.len());
        assert_eq!(held(), 1);
        first.highlight("rust", "let y = 2;\n");
        assert_eq!(held(), 2);
        second.highlight("rust", code);
        assert_eq!(held(), 1);
    }
}
