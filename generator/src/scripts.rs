//! The site's own scripts, minified: every `.js` file under `static/` except those under
//! `static/vendor/` (third-party code, shipped as its authors built it, license comments
//! included), and the wasm-bindgen glue ([`crate::demos::build_wasm`]).
//!
//! oxc parses each file as an ES module (every page loads them with `type="module"`),
//! compresses it, shortens its local names and prints it without comments or spaces
//! (README, "Demo budgets", has the sizes); `static/` keeps the readable sources.
//! A syntax error is a diagnostic at its `path:line:col`, so a broken script fails the build
//! like a broken page does, instead of failing in the reader's browser.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions, CommentOptions};
use oxc_minifier::{CompressOptions, MangleOptions, Minifier, MinifierOptions};
use oxc_parser::Parser;
use oxc_span::SourceType;
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::error::{Diagnostics, Location, SourceError, SourceErrorKind};
use crate::render::OutputFile;

/// The minified scripts of a `serve` session by source path, with the text they came from.
#[derive(Default)]
pub struct ScriptCache(HashMap<PathBuf, (String, Vec<u8>)>);

/// `source`, an ES module, minified; or the byte offset and message of its first syntax
/// error.
pub fn minify(source: &str) -> Result<String, (usize, String)> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
    if let Some(error) = parsed.diagnostics.first() {
        let offset = error.labels.first().map_or(0, |label| label.offset() as usize);
        let mut message = error.message.to_string();
        if let Some(help) = &error.help {
            message.push_str(&format!(" ({help})"));
        }
        return Err((offset, message));
    }
    let mut program = parsed.program;
    let options = MinifierOptions {
        mangle: Some(MangleOptions::default()),
        mangle_properties: None,
        compress: Some(CompressOptions::smallest()),
    };
    let minified = Minifier::new(options).minify(&allocator, &mut program);
    let options =
        CodegenOptions { minify: true, comments: CommentOptions::disabled(), ..Default::default() };
    Ok(Codegen::new().with_options(options).with_scoping(minified.scoping).build(&program).code)
}

/// The minified scripts of `static/` (under `root`) as output files at their paths in the
/// site, which replace the copies of the sources, and the errors of those that do not parse.
/// With a `cache`, a script whose text is unchanged is not minified again.
pub fn static_scripts(
    root: &Path,
    cache: Option<&mut ScriptCache>,
) -> (Vec<OutputFile>, Diagnostics) {
    let sources: Vec<PathBuf> = WalkDir::new(root.join("static"))
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() != 1 || e.file_name() != "vendor")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "js"))
        .map(|e| e.into_path())
        .collect();
    let previous = cache.as_deref().map(|c| &c.0);
    let results: Vec<_> = sources.par_iter().map(|path| script(root, path, previous)).collect();
    let mut files = Vec::new();
    let mut errors = Diagnostics::default();
    let mut kept = HashMap::new();
    for result in results {
        match result {
            Ok(Script { rel, text, minified }) => {
                let site_path = rel.strip_prefix("static").unwrap_or(&rel).to_path_buf();
                if cache.is_some() {
                    kept.insert(rel, (text, minified.clone()));
                }
                files.push(OutputFile { rel_path: site_path, bytes: minified });
            }
            Err(error) => errors.push(error),
        }
    }
    if let Some(cache) = cache {
        cache.0 = kept;
    }
    (files, errors)
}

/// One minified script: its path under `root`, its source text and the minified bytes.
struct Script {
    rel: PathBuf,
    text: String,
    minified: Vec<u8>,
}

fn script(
    root: &Path,
    path: &Path,
    previous: Option<&HashMap<PathBuf, (String, Vec<u8>)>>,
) -> Result<Script, SourceError> {
    let rel = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let text = match crate::discover::read_text(path) {
        Ok(text) => text,
        Err((location, kind)) => return Err(SourceError::new(rel, location, kind)),
    };
    if let Some((source, minified)) = previous.and_then(|p| p.get(&rel))
        && *source == text
    {
        let minified = minified.clone();
        return Ok(Script { rel, text, minified });
    }
    match minify(&text) {
        Ok(minified) => Ok(Script { rel, text, minified: minified.into_bytes() }),
        Err((offset, message)) => {
            let location = Location::from_offset(&text, offset);
            Err(SourceError::new(rel, location, SourceErrorKind::Script(message)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minifies_a_module_keeping_its_exports() {
        let source = "// Adds them up.\nexport function total(items) {\n  let sum = 0;\n  for (const item of items) sum += item;\n  return sum;\n}\n";
        assert_eq!(
            minify(source).expect("valid module"),
            "export function total(e){let t=0;for(let n of e)t+=n;return t}"
        );
    }

    #[test]
    fn a_syntax_error_has_its_offset_and_message() {
        let (offset, message) = minify("export const a = 1;\nconst = 2;\n").expect_err("invalid");
        assert_eq!(offset, 26);
        assert_eq!(message, "Unexpected token");
    }
}
