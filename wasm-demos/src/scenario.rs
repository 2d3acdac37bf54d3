//! The JSON scenario boundary shared by the three simulations.
//!
//! A scenario is parsed once, here, into typed operations; a bad field is reported with its
//! JSON path (`ops[3].weight: invalid type: string "x", expected u32`), so that the native
//! `sim` runner and the browser demos show the same message. After parsing, the cores can
//! assume well-typed input, but they still validate values (a weight of 0 where it is not
//! allowed, a non-prime table size) and return their own typed errors.

pub mod from_json;

use serde::Serialize;
use serde_json::{Map, Value};

use from_json::{FromJson, FromOp, Path, op_from_json};

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

/// Reads the operations of a scenario, each written `{"op": "<name>", …fields}`, paired with
/// the op as given (records echo it). A bad one is named by its path: `ops[3].weight`.
pub fn read_ops<T: FromOp>(ops: Vec<Value>) -> Result<Vec<(T, Value)>, ScenarioError> {
    // A loop, as in `from_json`'s readers: `collect::<Result<_, _>>()` would instantiate its
    // adapters again for every operations' enum.
    let mut read = Vec::with_capacity(ops.len());
    for (i, raw) in ops.into_iter().enumerate() {
        read.push((read_op(&raw, &format!("ops[{i}]"))?, raw));
    }
    Ok(read)
}

/// Reads one operation given on its own (from the demos' controls), paired with the op as
/// given; its errors are named from `op` (`op.count: …`).
pub fn read_single_op<T: FromOp>(json: &str) -> Result<(T, Value), ScenarioError> {
    let raw = parse_value(json).map_err(|e| ScenarioError::new("op", e.message))?;
    Ok((read_op(&raw, "op")?, raw))
}

/// Reads the operation `op`, found at `path`, into `T`, the operations' enum: the `op` tag
/// chooses the variant, the other fields are the variant's.
pub fn read_op<T: FromOp>(op: &Value, path: &str) -> Result<T, ScenarioError> {
    op_from_json(op, &Path::root(path))
}

/// An operation as scenarios write it, `{"op": "<name>", …fields}`, from the externally
/// tagged form serde gives its enum.
pub fn op_json(op: &impl Serialize) -> Value {
    let tagged = serde_json::to_value(op).unwrap_or(Value::Null);
    let Value::Object(by_name) = tagged else { return tagged };
    let mut out = Map::new();
    for (tag, fields) in by_name {
        out.insert("op".to_owned(), Value::String(tag));
        if let Value::Object(fields) = fields {
            out.extend(fields);
        }
    }
    Value::Object(out)
}

/// A JSON object of `members`, inserted one by one: collecting into a [`Map`] would sort a
/// copy of them first, and in WebAssembly every place that collects brings its own sort.
pub fn object(members: impl IntoIterator<Item = (String, Value)>) -> Value {
    let mut map = Map::new();
    map.extend(members);
    Value::Object(map)
}

/// Parses `json` into `T`, naming the JSON path of the first bad field.
pub fn parse<T: FromJson>(json: &str) -> Result<T, ScenarioError> {
    T::from_json(&parse_value(json)?, &Path::root(""))
}

/// Parses `json` into a [`Value`]; a syntax error is named for the document (`$`).
fn parse_value(json: &str) -> Result<Value, ScenarioError> {
    serde_json::from_str(json).map_err(|e| ScenarioError::new("$", strip_position(&e.to_string())))
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
    use crate::scenario::from_json::from_json_struct;

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Doc {
        ops: Vec<Op>,
    }
    from_json_struct!(Doc, deny_unknown_fields { ops });

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Op {
        weight: u32,
    }
    from_json_struct!(Op, deny_unknown_fields { weight });

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
