//! The JSON scenario boundary shared by the three simulations.
//!
//! A scenario is parsed once, here, into typed operations; a bad field is reported with its
//! JSON path (`ops[3].weight: invalid type: string "x", expected u32`), so that the native
//! `sim` runner and the browser demos show the same message. After parsing, the cores can
//! assume well-typed input, but they still validate values (a weight of 0 where it is not
//! allowed, a non-prime table size) and return their own typed errors.

use serde::de::DeserializeOwned;
use serde_json::Value;

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

/// A scenario played one operation at a time. The native `sim` runner plays it to the end
/// and collects the records; the browser demos step through it and mix in operations from
/// their controls. Either way, the same op yields the same trace record.
pub trait Playback {
    /// Scripted operations not yet applied.
    fn remaining(&self) -> usize;
    /// Applies the next scripted operation and returns its trace record (`None` at the end).
    fn step(&mut self) -> Option<Value>;
    /// Applies one operation given as JSON, outside the script, and returns its trace record;
    /// a malformed operation is an error naming its field (`op.weight: …`) and changes nothing.
    fn apply_json(&mut self, op: &str) -> Result<Value, ScenarioError>;
}

/// Plays `playback` to the end: the whole trace, one record per scripted operation.
pub fn play_all(mut playback: impl Playback) -> Value {
    let mut trace = Vec::with_capacity(playback.remaining());
    while let Some(record) = playback.step() {
        trace.push(record);
    }
    Value::Array(trace)
}

/// Wraps one operation given on its own into the document `{"ops": [op]}`, so that each
/// scenario parser reads it with its usual field naming; [`single_op_error`] then renames
/// `ops[0]` to `op` in its errors.
pub fn single_op_document(json: &str) -> Result<String, ScenarioError> {
    let op: Value = parse(json).map_err(single_op_error)?;
    if !op.is_object() {
        return Err(ScenarioError::new("op", "an operation is a JSON object"));
    }
    Ok(serde_json::json!({ "ops": [op] }).to_string())
}

/// Parses one operation given on its own, for models whose ops need no field refinement.
pub fn parse_single_op<T: DeserializeOwned>(json: &str) -> Result<T, ScenarioError> {
    #[derive(serde::Deserialize)]
    struct Ops<T> {
        ops: Vec<T>,
    }
    let doc: Ops<T> = parse(&single_op_document(json)?).map_err(single_op_error)?;
    doc.ops.into_iter().next().ok_or_else(|| ScenarioError::new("op", "missing"))
}

/// An error about the document of [`single_op_document`], with its path rebased on `op`.
pub fn single_op_error(err: ScenarioError) -> ScenarioError {
    let rest = err.path.strip_prefix("ops[0]").or_else(|| err.path.strip_prefix('$'));
    let path = match rest {
        Some(rest) => format!("op{rest}"),
        None => err.path,
    };
    ScenarioError { path, message: err.message }
}

/// Parses `json` into `T`, naming the JSON path of the first bad field.
///
/// The text becomes a [`Value`] first and `T` is read from it: every type is then deserialized
/// through one deserializer, [`from_value`]'s, which keeps the WebAssembly build small.
pub fn parse<T: DeserializeOwned>(json: &str) -> Result<T, ScenarioError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| ScenarioError::new("$", strip_position(&e.to_string())))?;
    from_value(&value)
}

/// Reads `T` from an already parsed `value`, naming the JSON path of the first bad field.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, ScenarioError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        // serde_path_to_error names the root `.`, and a position it never reached `?`.
        let path = if path == "." || path == "?" { "$".to_owned() } else { path };
        ScenarioError { path, message: err.into_inner().to_string() }
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
    fn rejects_text_after_the_document() {
        let err = parse::<Doc>(r#"{"ops": []} {"ops": []}"#).unwrap_err();
        assert_eq!(err.to_string(), "$: trailing characters");
    }

    #[test]
    fn names_the_document_for_syntax_errors() {
        let err = parse::<Doc>("{").unwrap_err();
        assert_eq!(err.to_string(), "$: EOF while parsing an object");
    }
}
