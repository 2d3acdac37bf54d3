//! The JSON scenario boundary shared by the three simulations.
//!
//! A scenario is parsed once, here, into typed operations; a bad field is reported with its
//! JSON path (`ops[3].weight: invalid type: string "x", expected u32`), so that the native
//! `sim` runner and the browser demos show the same message. After parsing, the cores can
//! assume well-typed input, but they still validate values (a weight of 0 where it is not
//! allowed, a non-prime table size) and return their own typed errors.

use serde::de::DeserializeOwned;

/// A scenario that could not be parsed: the JSON path of the offending field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScenarioError {
    /// JSON path of the bad field, `$` for the document itself (for example `ops[2].dest`).
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl ScenarioError {
    /// An error about the field at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}

/// Parses `json` into `T`, naming the JSON path of the first bad field.
pub fn parse<T: DeserializeOwned>(json: &str) -> Result<T, ScenarioError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        // serde_path_to_error names the root `.`, and a position it never reached `?`.
        let path = if path == "." || path == "?" { "$".to_owned() } else { path };
        let inner = err.into_inner();
        let message = strip_position(&inner.to_string());
        ScenarioError { path, message }
    })
}

/// serde_json appends " at line L column C" to its messages; the JSON path replaces it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        ops: Vec<Op>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Op {
        weight: u32,
    }

    #[test]
    fn names_the_json_path_of_a_bad_field() {
        let err = parse::<Doc>(r#"{"ops": [{"weight": 1}, {"weight": "x"}]}"#).unwrap_err();
        assert_eq!(err.to_string(), r#"ops[1].weight: invalid type: string "x", expected u32"#);
    }

    #[test]
    fn names_the_document_for_syntax_errors() {
        let err = parse::<Doc>("{").unwrap_err();
        assert_eq!(err.to_string(), "$: EOF while parsing an object");
    }
}
