//! A seeded synthetic site for benchmarks: `site.toml`, eight categories and N session pages
//! shaped like the real write-ups, over a copy of a real site's `templates/` and `static/`.
//!
//! Each session has TOML front matter (title, summary, date, day, track, three to six of 40
//! tags, one or two of 140 speakers, links) and a body of about 800 words: level-2 and level-3
//! headings, a bullet list, a table, external links, one `@/` link to another session and two
//! fenced code blocks, in two different languages among bash, go, yaml, dockerfile, rust and
//! json, of about 15 lines each. The same seed and page count always give the same bytes.
//!
//! Used by `benches/build.rs` and by the `corpus` binary
//! (`cargo run --release -p generator --bin corpus -- --pages 10000 --out /tmp/corpus10k`).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use walkdir::WalkDir;

use crate::fs;

/// The eight categories: directory name and title.
pub const CATEGORIES: [(&str, &str); 8] = [
    ("networking", "Networking"),
    ("security", "Security"),
    ("storage", "Storage & volumes"),
    ("orchestration", "Orchestration"),
    ("monitoring", "Monitoring & logging"),
    ("internals", "Kernel internals"),
    ("workflow", "Developer workflow"),
    ("load-balancing", "Load balancing"),
];

const TAGS: [&str; 40] = [
    "swarm",
    "compose",
    "machine",
    "engine",
    "registry",
    "notary",
    "content-trust",
    "overlay",
    "vxlan",
    "libnetwork",
    "dns",
    "ipvs",
    "iptables",
    "netfilter",
    "cgroups",
    "namespaces",
    "seccomp",
    "apparmor",
    "selinux",
    "user-namespaces",
    "volumes",
    "plugins",
    "flocker",
    "zfs",
    "btrfs",
    "devicemapper",
    "aufs",
    "logging",
    "metrics",
    "prometheus",
    "cadvisor",
    "mesos",
    "kubernetes",
    "ci",
    "jenkins",
    "testing",
    "windows",
    "arm",
    "live-migration",
    "criu",
];

const FIRST_NAMES: [&str; 14] = [
    "Anna", "Bruno", "Chloé", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Inès", "Jonas", "Kira",
    "Luis", "Maren", "Nils",
];

const LAST_NAMES: [&str; 10] = [
    "Albrecht", "Barros", "Costa", "Dufour", "Eriksen", "Fischer", "García", "Haas", "Ivanova",
    "Jensen",
];

const COMPANIES: [&str; 12] = [
    "Docker",
    "Uber",
    "Google",
    "Microsoft",
    "CoreOS",
    "Red Hat",
    "Mesosphere",
    "ClusterHQ",
    "Weaveworks",
    "Rancher Labs",
    "Joyent",
    "IBM",
];

const TRACKS: [&str; 5] =
    ["Black Belt Tech", "Docker Docker Docker", "Wild Cards", "Use Case", "Eco System"];

const WORDS: [&str; 96] = [
    "container",
    "kernel",
    "namespace",
    "image",
    "layer",
    "daemon",
    "socket",
    "process",
    "network",
    "bridge",
    "packet",
    "service",
    "cluster",
    "node",
    "scheduler",
    "volume",
    "driver",
    "plugin",
    "registry",
    "manifest",
    "signature",
    "policy",
    "host",
    "port",
    "route",
    "table",
    "rule",
    "chain",
    "quota",
    "limit",
    "memory",
    "cpu",
    "disk",
    "latency",
    "throughput",
    "request",
    "backend",
    "frontend",
    "health",
    "check",
    "restart",
    "rollout",
    "deployment",
    "build",
    "cache",
    "tag",
    "release",
    "version",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "with",
    "for",
    "on",
    "that",
    "every",
    "each",
    "when",
    "then",
    "because",
    "while",
    "runs",
    "starts",
    "stops",
    "writes",
    "reads",
    "sends",
    "keeps",
    "shows",
    "explains",
    "measures",
    "replaces",
    "isolates",
    "mounts",
    "binds",
    "forwards",
    "balances",
    "fast",
    "small",
    "shared",
    "private",
    "default",
    "new",
    "old",
    "simple",
    "careful",
    "stateless",
    "stateful",
    "secure",
    "production",
    "developer",
    "operator",
    "audience",
];

const HEADINGS: [&str; 16] = [
    "Why it matters",
    "How it works",
    "The architecture",
    "What was shown",
    "Performance",
    "Failure modes",
    "Configuration",
    "Security model",
    "Operations",
    "Lessons learned",
    "Questions from the audience",
    "Trade-offs",
    "Getting started",
    "Under the hood",
    "Limitations",
    "What came next",
];

const LANGUAGES: [&str; 6] = ["bash", "go", "yaml", "dockerfile", "rust", "json"];

/// A splitmix64 generator: enough randomness for text, fully determined by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or_default()
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct CorpusConfig {
    /// Session pages to write.
    pub pages: usize,
    /// The seed: the same seed and page count give byte-identical files.
    pub seed: u64,
}

/// Writes a complete site root into `out`: `site.toml`, `content/` and copies of
/// `templates_from/templates` and `templates_from/static`. Files already in `out` are
/// overwritten, others are left alone.
pub fn write_corpus(config: CorpusConfig, templates_from: &Path, out: &Path) -> Result<()> {
    for dir in ["templates", "static"] {
        copy_tree(&templates_from.join(dir), &out.join(dir))?;
    }
    let categories: Vec<String> =
        CATEGORIES.iter().map(|(slug, _)| format!("  \"{slug}\",\n")).collect();
    fs::write(
        &out.join("site.toml"),
        format!(
            "title = \"Synthetic conference notes\"\nbase_url = \"https://corpus.example.org/\"\n\
             description = \"A generated site of {} sessions for benchmarks.\"\nlanguage = \"en\"\n\
             categories = [\n{}]\nconference_days = [2015-11-16, 2015-11-17]\n",
            config.pages,
            categories.concat()
        )
        .as_bytes(),
    )?;
    let content = out.join("content");
    fs::write(
        &content.join("_index.md"),
        format!(
            "+++\ntitle = \"Synthetic conference notes\"\n+++\nA generated site of {} sessions in \
             {} categories, for measuring the generator.\n",
            config.pages,
            CATEGORIES.len()
        )
        .as_bytes(),
    )?;
    for (slug, title) in CATEGORIES {
        fs::write(
            &content.join(slug).join("_index.md"),
            format!(
                "+++\ntitle = \"{title}\"\ndescription = \"Generated sessions about {}.\"\n+++\n\
                 Sessions about {} at the synthetic conference.\n",
                title.to_lowercase(),
                title.to_lowercase()
            )
            .as_bytes(),
        )?;
    }
    let mut rng = Rng(config.seed);
    for index in 0..config.pages {
        let page = session(&mut rng, index, config.pages);
        fs::write(
            &content.join(page.category).join(format!("{}.md", page.slug)),
            page.text.as_bytes(),
        )?;
    }
    Ok(())
}

/// Where session `index` lives: its category (round-robin) and slug.
fn location(index: usize) -> (&'static str, String) {
    (CATEGORIES[index % CATEGORIES.len()].0, format!("session-{index:05}"))
}

fn speaker(index: usize) -> (String, &'static str, String) {
    let first = FIRST_NAMES[index % FIRST_NAMES.len()];
    let last = LAST_NAMES[index / FIRST_NAMES.len() % LAST_NAMES.len()];
    let handle = format!("{}{}", first.to_lowercase().chars().next().unwrap_or('x'), index);
    (format!("{first} {last}"), COMPANIES[index % COMPANIES.len()], handle)
}

struct Page {
    category: &'static str,
    slug: String,
    text: String,
}

fn session(rng: &mut Rng, index: usize, pages: usize) -> Page {
    let (category, slug) = location(index);
    let title = capitalise(&words(rng, 4, 8));
    let mut text = String::with_capacity(8 * 1024);
    let day = 1 + index % 2;
    let _ = writeln!(text, "+++");
    let _ = writeln!(text, "title = \"{title}\"");
    let _ = writeln!(text, "summary = \"{}.\"", capitalise(&words(rng, 20, 32)));
    let _ = writeln!(text, "date = 2015-11-{}", 15 + day);
    let _ = writeln!(text, "day = {day}");
    let _ = writeln!(text, "track = \"{}\"", rng.pick(&TRACKS));
    let mut tags: Vec<&str> = Vec::new();
    while tags.len() < rng.between(3, 6) {
        let tag = rng.pick(&TAGS);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let tags: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
    let _ = writeln!(text, "tags = [{}]", tags.join(", "));
    let _ = writeln!(text, "order = {index}");
    let first_speaker = rng.below(FIRST_NAMES.len() * LAST_NAMES.len());
    let speakers = if rng.below(4) == 0 {
        vec![first_speaker, (first_speaker + 1) % (FIRST_NAMES.len() * LAST_NAMES.len())]
    } else {
        vec![first_speaker]
    };
    for s in speakers {
        let (name, company, handle) = speaker(s);
        let _ = writeln!(
            text,
            "\n[[speakers]]\nname = \"{name}\"\naffiliation = \"{company}\"\nhandle = \"{handle}\""
        );
    }
    let _ = writeln!(text, "\n[links]\nslides = \"https://slides.example.org/{slug}\"");
    let _ = writeln!(text, "video = \"https://video.example.org/{slug}\"\n+++");

    let first_lang = rng.below(LANGUAGES.len());
    let second_lang = (first_lang + rng.between(1, LANGUAGES.len() - 1)) % LANGUAGES.len();
    let (target_category, target_slug) =
        location((index + 1 + rng.below(pages.max(2) - 1)) % pages);
    let mut heading = rng.below(HEADINGS.len());
    for section in 0..6 {
        let _ = writeln!(text, "## {}\n", HEADINGS[heading]);
        heading = (heading + 1 + rng.below(3)) % HEADINGS.len();
        for _ in 0..2 {
            paragraph(rng, &mut text);
        }
        match section {
            0 => {
                let _ = writeln!(
                    text,
                    "The talk builds on [an earlier session](@/{target_category}/{target_slug}.md) \
                     and on the [project documentation](https://docs.example.org/{}).\n",
                    rng.pick(&TAGS)
                );
            }
            1 => {
                for _ in 0..rng.between(3, 5) {
                    let _ = writeln!(text, "- **{}**: {}.", rng.pick(&WORDS), words(rng, 6, 12));
                }
                text.push('\n');
            }
            2 => code_block(rng, LANGUAGES[first_lang], &mut text),
            3 => {
                let _ = writeln!(text, "### {}\n", capitalise(&words(rng, 2, 4)));
                paragraph(rng, &mut text);
                table(rng, &mut text);
            }
            4 => code_block(rng, LANGUAGES[second_lang], &mut text),
            _ => {}
        }
    }
    Page { category, slug, text }
}

fn words(rng: &mut Rng, low: usize, high: usize) -> String {
    let count = rng.between(low, high);
    let mut out = String::new();
    for i in 0..count {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(&WORDS));
    }
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// About 60 words in four to six sentences, with the odd inline code span or emphasis.
fn paragraph(rng: &mut Rng, text: &mut String) {
    for i in 0..rng.between(4, 6) {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(&capitalise(&words(rng, 8, 16)));
        match rng.below(6) {
            0 => {
                let _ = write!(text, " with `{}`", rng.pick(&TAGS));
            }
            1 => {
                let _ = write!(text, " and *{}*", rng.pick(&WORDS));
            }
            _ => {}
        }
        text.push('.');
    }
    text.push_str("\n\n");
}

fn table(rng: &mut Rng, text: &mut String) {
    text.push_str("| Setting | Value | Effect |\n|---|---|---|\n");
    for _ in 0..rng.between(3, 5) {
        let _ = writeln!(
            text,
            "| `{}` | {} | {} |",
            rng.pick(&TAGS),
            rng.below(1000),
            words(rng, 3, 6)
        );
    }
    text.push('\n');
}

fn code_block(rng: &mut Rng, lang: &str, text: &mut String) {
    let _ = writeln!(text, "```{lang}");
    let lines = rng.between(10, 20);
    let name = rng.pick(&TAGS);
    let n = rng.below(10_000);
    match lang {
        "bash" => {
            for _ in 0..lines {
                let line = match rng.below(5) {
                    0 => format!(
                        "docker run -d --name {name}-{n} -p {}:80 nginx:1.9",
                        8000 + rng.below(999)
                    ),
                    1 => format!("# {}", words(rng, 3, 8)),
                    2 => format!(
                        "for i in $(seq 1 {n}); do curl -s http://localhost:{}/ > /dev/null; done",
                        rng.below(9999)
                    ),
                    3 => format!(
                        "export {}=\"{}\"",
                        name.to_uppercase().replace('-', "_"),
                        rng.pick(&WORDS)
                    ),
                    _ => format!(
                        "ipvsadm -a -t 10.0.0.{}:80 -r 172.17.0.{}:80 -m -w {}",
                        rng.below(255),
                        rng.below(255),
                        rng.below(10)
                    ),
                };
                let _ = writeln!(text, "{line}");
            }
        }
        "go" => {
            let _ = writeln!(
                text,
                "package {}\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n",
                name.replace('-', "")
            );
            let _ = writeln!(text, "func handle{n}(w http.ResponseWriter, r *http.Request) {{");
            for _ in 0..lines.saturating_sub(9) {
                let _ = writeln!(
                    text,
                    "\tfmt.Fprintf(w, \"%s: %d\\n\", \"{}\", {}) // {}",
                    rng.pick(&WORDS),
                    rng.below(100),
                    words(rng, 2, 5)
                );
            }
            let _ = writeln!(text, "}}");
        }
        "yaml" => {
            let _ = writeln!(text, "version: \"2\"\nservices:");
            for _ in 0..lines / 3 {
                let _ = writeln!(
                    text,
                    "  {}-{}:\n    image: \"{name}:{}\"\n    restart: always",
                    rng.pick(&WORDS),
                    rng.below(100),
                    rng.below(20)
                );
            }
        }
        "dockerfile" => {
            let _ = writeln!(text, "FROM debian:jessie");
            for _ in 0..lines.saturating_sub(2) {
                let line = match rng.below(4) {
                    0 => format!(
                        "RUN apt-get update && apt-get install -y {} && rm -rf /var/lib/apt/lists/*",
                        name
                    ),
                    1 => format!(
                        "ENV {}_VERSION {}.{}",
                        name.to_uppercase().replace('-', "_"),
                        rng.below(5),
                        rng.below(20)
                    ),
                    2 => format!("COPY {} /usr/local/bin/{}", rng.pick(&WORDS), rng.pick(&WORDS)),
                    _ => format!("EXPOSE {}", 1000 + rng.below(9000)),
                };
                let _ = writeln!(text, "{line}");
            }
            let _ = writeln!(text, "CMD [\"{name}\", \"--port\", \"{n}\"]");
        }
        "rust" => {
            let _ = writeln!(
                text,
                "use std::collections::HashMap;\n\nfn {}_{n}(input: &[u32]) -> HashMap<u32, usize> {{",
                name.replace('-', "_")
            );
            let _ = writeln!(text, "    let mut counts = HashMap::new();");
            for _ in 0..lines.saturating_sub(6) {
                let _ = writeln!(
                    text,
                    "    counts.entry(input[{}] % {}).or_insert(0usize); // {}",
                    rng.below(8),
                    1 + rng.below(64),
                    rng.pick(&WORDS)
                );
            }
            let _ = writeln!(text, "    counts\n}}");
        }
        _ => {
            let _ = writeln!(text, "{{\n  \"name\": \"{name}\",\n  \"backends\": [");
            let count = lines.saturating_sub(4).max(1);
            for i in 0..count {
                let comma = if i + 1 < count { "," } else { "" };
                let _ = writeln!(
                    text,
                    "    {{ \"host\": \"10.0.{}.{}\", \"port\": {}, \"weight\": {} }}{comma}",
                    rng.below(255),
                    rng.below(255),
                    8000 + rng.below(999),
                    rng.below(100)
                );
            }
            let _ = writeln!(text, "  ]\n}}");
        }
    }
    text.push_str("```\n\n");
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in WalkDir::new(from).sort_by_file_name() {
        let entry = entry?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(from).unwrap_or(entry.path());
            fs::copy(entry.path(), &to.join(rel))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_page_and_another_seed_does_not() {
        let page = |seed| session(&mut Rng(seed), 7, 100).text;
        assert_eq!(page(1), page(1));
        assert_ne!(page(1), page(2));
    }

    #[test]
    fn a_page_has_the_shape_of_a_write_up() {
        let text = session(&mut Rng(42), 3, 1000).text;
        let body = text.rsplit("+++\n").next().unwrap_or_default();
        let words = body.split_whitespace().count();
        assert!((650..=1100).contains(&words), "{words} words");
        assert_eq!(body.matches("\n```").count() + usize::from(body.starts_with("```")), 4);
        assert_eq!(body.matches("](@/").count(), 1);
        assert!(body.contains("|---|---|---|"));
        assert!(body.contains("\n- **"));
        assert!(body.contains("\n### "));
    }

    #[test]
    fn speakers_are_140_distinct_names() {
        let names: std::collections::BTreeSet<String> =
            (0..FIRST_NAMES.len() * LAST_NAMES.len()).map(|i| speaker(i).0).collect();
        assert_eq!(names.len(), 140);
    }
}
