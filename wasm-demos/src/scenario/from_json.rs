//! Typed values read from a parsed [`Value`], with serde's error wording.
//!
//! serde's derived `Deserialize` impls are generic over the deserializer, and path tracking
//! wraps every one of them again: in WebAssembly that is most of the code. The readers here
//! are plain functions over `&Value` that name the JSON path of a bad field themselves; their
//! messages read exactly as serde_json's (`invalid type: string "x", expected u32`,
//! ``unknown field `x`, expected `a` or `b` ``), most of them built by `serde::de::Error`'s
//! constructors.
//!
//! Struct and enum readers are written with [`from_json_struct!`], [`read_fields!`] and
//! [`from_json_unit_enum!`], which take the same choices serde's attributes did.

use std::fmt::{self, Display};

use serde::de::Error as _;
use serde_json::{Map, Value};

use super::ScenarioError;
use crate::vec_map::VecMap;

/// Where a value sits in a scenario: a root (`ops[3]`, or empty for the document) and the keys
/// and indexes below it. Rendered only for an error, the way serde_path_to_error names a path.
#[derive(Debug, Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Segment<'a> {
    Root(&'a str),
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// The path `root`: `""` for the document itself (rendered `$`), or `ops[3]`.
    pub fn root(root: &'a str) -> Self {
        Self { parent: None, segment: Segment::Root(root) }
    }

    /// The member `key` of the object at this path.
    pub fn key(&'a self, key: &'a str) -> Self {
        Self { parent: Some(self), segment: Segment::Key(key) }
    }

    /// The element `index` of the array at this path.
    pub fn index(&'a self, index: usize) -> Self {
        Self { parent: Some(self), segment: Segment::Index(index) }
    }

    /// An error about the value at this path.
    pub fn error(&self, message: impl Display) -> ScenarioError {
        ScenarioError { path: self.to_string(), message: message.to_string() }
    }
}

impl Path<'_> {
    /// Writes the path into `out`; false if it is the document itself, with nothing written.
    fn render(&self, out: &mut String) -> bool {
        let written = self.parent.is_some_and(|parent| parent.render(out));
        match self.segment {
            Segment::Root(root) => {
                out.push_str(root);
                !root.is_empty()
            }
            Segment::Key(key) => {
                if written {
                    out.push('.');
                }
                out.push_str(key);
                true
            }
            Segment::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
                true
            }
        }
    }
}

impl Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        f.write_str(if self.render(&mut text) { &text } else { "$" })
    }
}

/// A type read from a parsed JSON value, as its serde `Deserialize` impl would read it.
pub trait FromJson: Sized {
    /// Reads `value`, found at `path`; a bad value is an error naming its path.
    fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError>;

    /// A value standing in for a field that failed to read, so that a struct's other fields
    /// are still read (see [`Fields`]); it never reaches a caller.
    fn fallback() -> Self;
}

/// The error type whose `serde::de::Error` constructors word the other messages.
type SerdeError = serde_json::Error;

/// serde_json's description of a value that is not what was expected: `string "x"`,
/// ``integer `5` ``, `null`. Written here rather than through `serde::de::Unexpected`, whose
/// `Display` brings the whole of `f64` formatting into WebAssembly for the floats that
/// serde_json describes its own way anyway.
struct Unexpected<'a>(&'a Value);

impl Display for Unexpected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "boolean `{b}`"),
            Value::Number(n) if n.is_f64() => write!(f, "floating point `{n}`"),
            Value::Number(n) => write!(f, "integer `{n}`"),
            Value::String(s) => write!(f, "string {s:?}"),
            Value::Array(_) => f.write_str("sequence"),
            Value::Object(_) => f.write_str("map"),
        }
    }
}

/// The error for `value` at `path` not being `expected`.
fn invalid_type(value: &Value, path: &Path<'_>, expected: &str) -> ScenarioError {
    path.error(format_args!("invalid type: {}, expected {expected}", Unexpected(value)))
}

/// The error for `value` at `path` being of the right type, but not `expected`.
fn invalid_value(value: &Value, path: &Path<'_>, expected: &str) -> ScenarioError {
    path.error(format_args!("invalid value: {}, expected {expected}", Unexpected(value)))
}

/// The error for an array at `path` with `len` elements where `expected` are wanted.
fn invalid_length(len: usize, path: &Path<'_>, expected: &str) -> ScenarioError {
    path.error(SerdeError::invalid_length(len, &expected))
}

/// Reads an integer between `min` and `max`, `expected` naming its type (`u32`).
fn integer(
    value: &Value,
    path: &Path<'_>,
    expected: &str,
    min: i128,
    max: i128,
) -> Result<i128, ScenarioError> {
    let Value::Number(n) = value else { return Err(invalid_type(value, path, expected)) };
    let int = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => i128::from(u),
        (None, Some(i)) => i128::from(i),
        (None, None) => return Err(invalid_type(value, path, expected)),
    };
    if (min..=max).contains(&int) { Ok(int) } else { Err(invalid_value(value, path, expected)) }
}

macro_rules! integers_from_json {
    ($($ty:ident),*) => {$(
        impl FromJson for $ty {
            fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError> {
                let int = integer(value, path, stringify!($ty), $ty::MIN as i128, $ty::MAX as i128)?;
                Ok(int as $ty)
            }

            fn fallback() -> Self {
                0
            }
        }
    )*};
}

integers_from_json!(u8, u16, u32, u64, usize, i32, i64);

impl FromJson for bool {
    fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError> {
        value.as_bool().ok_or_else(|| invalid_type(value, path, "a boolean"))
    }

    fn fallback() -> Self {
        false
    }
}

impl FromJson for String {
    fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError> {
        str_from_json(value, path).map(str::to_owned)
    }

    fn fallback() -> Self {
        Self::new()
    }
}

/// Reads a string.
pub fn str_from_json<'v>(value: &'v Value, path: &Path<'_>) -> Result<&'v str, ScenarioError> {
    value.as_str().ok_or_else(|| invalid_type(value, path, "a string"))
}

impl FromJson for Value {
    fn from_json(value: &Value, _: &Path<'_>) -> Result<Self, ScenarioError> {
        Ok(value.clone())
    }

    fn fallback() -> Self {
        Value::Null
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError> {
        match value {
            Value::Null => Ok(None),
            _ => T::from_json(value, path).map(Some),
        }
    }

    fn fallback() -> Self {
        None
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError> {
        let Value::Array(items) = value else {
            return Err(invalid_type(value, path, "a sequence"));
        };
        // A loop rather than `collect::<Result<_, _>>()`, whose adapters are instantiated again
        // for every element type.
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(T::from_json(item, &path.index(i))?);
        }
        Ok(out)
    }

    fn fallback() -> Self {
        Vec::new()
    }
}

impl FromJson for [u32; 2] {
    fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError> {
        const EXPECTED: &str = "an array of length 2";
        let Value::Array(items) = value else { return Err(invalid_type(value, path, EXPECTED)) };
        let mut pair = [0; 2];
        for (i, slot) in pair.iter_mut().enumerate() {
            let item = items.get(i).ok_or_else(|| invalid_length(i, path, EXPECTED))?;
            *slot = u32::from_json(item, &path.index(i))?;
        }
        match items.len() {
            2 => Ok(pair),
            len => Err(invalid_length(len, path, "fewer elements in array")),
        }
    }

    fn fallback() -> Self {
        [0; 2]
    }
}

impl FromJson for VecMap<String, String> {
    fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError> {
        let Value::Object(members) = value else { return Err(invalid_type(value, path, "a map")) };
        let mut map = VecMap::new();
        for (k, v) in members {
            map.insert(k.clone(), String::from_json(v, &path.key(k))?);
        }
        Ok(map)
    }

    fn fallback() -> Self {
        VecMap::new()
    }
}

/// Reads the variant name of an externally tagged enum (`"tcp"`, or `{"tcp": null}`) among
/// `variants`, with the value it carries, if any.
fn variant<'v>(
    value: &'v Value,
    path: &Path<'_>,
    variants: &'static [&'static str],
) -> Result<(usize, Option<&'v Value>), ScenarioError> {
    let (name, content) = match value {
        Value::String(name) => (name, None),
        Value::Object(members) => match members.iter().next() {
            Some((name, content)) if members.len() == 1 => (name, Some(content)),
            _ => return Err(invalid_value(value, path, "map with a single key")),
        },
        _ => return Err(invalid_type(value, path, "string or map")),
    };
    match variants.iter().position(|v| v == name) {
        Some(i) => Ok((i, content)),
        None => Err(path.error(SerdeError::unknown_variant(name, variants))),
    }
}

/// Reads a variant of an enum whose variants carry nothing, the index of its name in `variants`.
pub fn unit_variant(
    value: &Value,
    path: &Path<'_>,
    variants: &'static [&'static str],
) -> Result<usize, ScenarioError> {
    let (i, content) = variant(value, path, variants)?;
    match content {
        None | Some(Value::Null) => Ok(i),
        Some(content) => Err(invalid_type(content, &path.key(variants[i]), "unit")),
    }
}

/// The fields of a struct being read. serde's derived visitor stops at the first error, meeting
/// the members in the object's order (or, given an array, the fields by position), then
/// reports the first missing field in declaration order. Here every field is read, a bad one
/// as its [`FromJson::fallback`], and each error is ranked by where serde would have met it:
/// [`Self::finish`] reports the first one.
pub struct Fields<'a> {
    path: &'a Path<'a>,
    expected: &'static str,
    names: &'static [&'static str],
    given: Vec<Option<(usize, &'a Value, Path<'a>)>>,
    by_position: bool,
    error: Option<Box<(usize, ScenarioError)>>,
}

impl<'a> Fields<'a> {
    /// Starts reading the struct `expected` (`struct Backend`) at `path`, of fields `names`
    /// in declaration order. An unknown field is an error if `deny_unknown`, and skipped
    /// otherwise; a value that is neither an object nor an array is an error before any.
    pub fn new(
        value: &'a Value,
        path: &'a Path<'a>,
        expected: &'static str,
        names: &'static [&'static str],
        deny_unknown: bool,
    ) -> Self {
        let mut fields = Self {
            path,
            expected,
            names,
            given: vec![None; names.len()],
            by_position: false,
            error: None,
        };
        match value {
            Value::Object(members) => {
                for (rank, (key, value)) in (1..).zip(members) {
                    match names.iter().position(|name| name == key) {
                        Some(i) => fields.given[i] = Some((rank, value, path.key(key))),
                        None if deny_unknown => {
                            let error = SerdeError::unknown_field(key, names);
                            fields.fail(rank, path.key(key).error(error));
                        }
                        None => {}
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().take(names.len()) {
                    fields.given[i] = Some((i + 1, item, path.index(i)));
                }
                fields.by_position = true;
                if items.len() > names.len() {
                    let error = invalid_length(items.len(), path, "fewer elements in array");
                    fields.fail(usize::MAX, error);
                }
            }
            _ => fields.fail(0, invalid_type(value, path, expected)),
        }
        fields
    }

    /// Keeps `error`, met at `rank`, if it comes before the one kept so far.
    fn fail(&mut self, rank: usize, error: ScenarioError) {
        if self.error.as_ref().is_none_or(|kept| rank < kept.0) {
            self.error = Some(Box::new((rank, error)));
        }
    }

    /// The value given for the field `name`, with its rank and path; not given and
    /// `required`, the field is missing.
    fn take(&mut self, name: &'static str, required: bool) -> Option<(usize, &'a Value, Path<'a>)> {
        let i = self.names.iter().position(|n| *n == name)?;
        let given = self.given[i].take();
        if given.is_none() && required {
            let error = if self.by_position {
                let expected = format!("{} with {} elements", self.expected, self.names.len());
                invalid_length(i, self.path, &expected)
            } else {
                self.path.error(SerdeError::missing_field(name))
            };
            self.fail(usize::MAX - 1, error);
        }
        given
    }

    /// Reads the field `name`, or, not given, takes `default` (none if it is required).
    pub fn field<T: FromJson>(&mut self, name: &'static str, default: Option<fn() -> T>) -> T {
        match self.take(name, default.is_none()) {
            Some((rank, value, path)) => T::from_json(value, &path).unwrap_or_else(|error| {
                self.fail(rank, error);
                T::fallback()
            }),
            None => default.map_or_else(T::fallback, |default| default()),
        }
    }

    /// The first error met, if any.
    pub fn finish(&mut self) -> Result<(), ScenarioError> {
        match self.error.take() {
            Some(error) => Err(error.1),
            None => Ok(()),
        }
    }
}

/// Reads a struct (or a struct variant of an enum) whose fields are listed in declaration
/// order, each one `field`, `field as "json name"`, and `= default` (serde's `default`) or
/// `= function` (serde's `default = "function"`) when it may be left out:
///
/// `read_fields!(value, path, "struct Peer", true, PeerSpec { name, weight = default_weight })`
macro_rules! read_fields {
    ($value:expr, $path:expr, $expected:expr, $deny_unknown:expr,
     $($ctor:ident)::+ { $($field:ident $(as $json:literal)? $(= $default:ident)?),* $(,)? }) => {{
        const NAMES: &[&str] = &[$($crate::scenario::from_json::json_name!($field $(, $json)?)),*];
        let mut fields =
            $crate::scenario::from_json::Fields::new($value, $path, $expected, NAMES, $deny_unknown);
        let value = $($ctor)::+ {
            $($field: fields.field(
                $crate::scenario::from_json::json_name!($field $(, $json)?),
                $crate::scenario::from_json::default_fn!($($default)?),
            )),*
        };
        fields.finish()?;
        value
    }};
}

/// Implements [`FromJson`] for a struct with [`read_fields!`]; `deny_unknown_fields` makes an
/// unknown field an error, as serde's attribute of that name does.
macro_rules! from_json_struct {
    ($ty:ident $(, $deny_unknown_fields:ident)? {
        $($field:ident $(as $json:literal)? $(= $default:ident)?),* $(,)?
    }) => {
        impl $crate::scenario::from_json::FromJson for $ty {
            fn from_json(
                value: &serde_json::Value,
                path: &$crate::scenario::from_json::Path<'_>,
            ) -> Result<Self, $crate::scenario::ScenarioError> {
                Ok($crate::scenario::from_json::read_fields!(
                    value,
                    path,
                    concat!("struct ", stringify!($ty)),
                    $crate::scenario::from_json::deny_unknown!($($deny_unknown_fields)?),
                    $ty { $($field $(as $json)? $(= $default)?),* }
                ))
            }

            fn fallback() -> Self {
                $ty { $($field: $crate::scenario::from_json::FromJson::fallback()),* }
            }
        }
    };
}

/// Implements [`FromJson`] for a `Copy` enum whose variants carry nothing: `"name" => Variant`.
macro_rules! from_json_unit_enum {
    ($ty:ident { $($name:literal => $variant:ident),* $(,)? }) => {
        impl $crate::scenario::from_json::FromJson for $ty {
            fn from_json(
                value: &serde_json::Value,
                path: &$crate::scenario::from_json::Path<'_>,
            ) -> Result<Self, $crate::scenario::ScenarioError> {
                const VARIANTS: &[&str] = &[$($name),*];
                let i = $crate::scenario::from_json::unit_variant(value, path, VARIANTS)?;
                Ok([$($ty::$variant),*][i])
            }

            fn fallback() -> Self {
                [$($ty::$variant),*][0]
            }
        }
    };
}

macro_rules! json_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $json:literal) => {
        $json
    };
}

macro_rules! default_fn {
    () => {
        None
    };
    (default) => {
        Some(Default::default)
    };
    ($default:ident) => {
        Some($default)
    };
}

macro_rules! deny_unknown {
    () => {
        false
    };
    (deny_unknown_fields) => {
        true
    };
}

/// An operations' enum, read from an op's fields once its `op` tag has chosen the variant.
pub trait FromOp: Sized {
    /// Reads the variant named `tag` from `fields`, the op at `path` without its tag.
    fn from_op(tag: &str, fields: &Value, path: &Path<'_>) -> Result<Self, ScenarioError>;
}

/// The error for an op whose tag names none of `tags`.
pub fn unknown_op(tag: &str, path: &Path<'_>, tags: &'static [&'static str]) -> ScenarioError {
    path.key("op").error(SerdeError::unknown_variant(tag, tags))
}

/// Reads the op `op` at `path` (`ops[3]`) into `T`, by its `op` tag.
pub fn op_from_json<T: FromOp>(op: &Value, path: &Path<'_>) -> Result<T, ScenarioError> {
    let Value::Object(members) = op else {
        return Err(path.error("an operation is a JSON object"));
    };
    let tag = match members.get("op") {
        Some(Value::String(tag)) => tag,
        Some(_) => return Err(path.key("op").error("expected a string")),
        None => return Err(path.error("missing field `op`")),
    };
    let mut fields: Map<String, Value> = members.clone();
    fields.remove("op");
    T::from_op(tag, &Value::Object(fields), path)
}

/// Implements [`FromOp`] for an operations' enum: `"tag" => Variant { fields }` as in
/// [`read_fields!`] (unknown fields are errors), or `"tag" => Variant(Struct)` for a variant
/// holding a [`FromJson`] struct.
macro_rules! from_op_enum {
    ($ty:ident { $($tag:literal => $variant:ident $body:tt),* $(,)? }) => {
        impl $crate::scenario::from_json::FromOp for $ty {
            fn from_op(
                tag: &str,
                fields: &serde_json::Value,
                path: &$crate::scenario::from_json::Path<'_>,
            ) -> Result<Self, $crate::scenario::ScenarioError> {
                $(
                    if tag == $tag {
                        return Ok($crate::scenario::from_json::variant_from_op!(
                            $ty, $variant, fields, path, $body
                        ));
                    }
                )*
                Err($crate::scenario::from_json::unknown_op(tag, path, &[$($tag),*]))
            }
        }
    };
}

macro_rules! variant_from_op {
    ($ty:ident, $variant:ident, $fields:ident, $path:ident, { $($body:tt)* }) => {
        $crate::scenario::from_json::read_fields!(
            $fields,
            $path,
            concat!("struct variant ", stringify!($ty), "::", stringify!($variant)),
            true,
            $ty::$variant { $($body)* }
        )
    };
    ($ty:ident, $variant:ident, $fields:ident, $path:ident, ($inner:ty)) => {
        $ty::$variant($crate::scenario::from_json::FromJson::from_json($fields, $path)?)
    };
}

pub(crate) use {
    default_fn, deny_unknown, from_json_struct, from_json_unit_enum, from_op_enum, json_name,
    read_fields, variant_from_op,
};

#[cfg(test)]
mod tests {
    use crate::scenario::parse;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Proto {
        Tcp,
        Udp,
    }
    from_json_unit_enum!(Proto { "tcp" => Tcp, "udp" => Udp });

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Pair {
        a: u32,
        b: u32,
        proto: Proto,
        note: Option<String>,
    }
    from_json_struct!(Pair, deny_unknown_fields { a, b, proto = tcp, note = default });

    fn tcp() -> Proto {
        Proto::Tcp
    }

    fn error(json: &str) -> String {
        parse::<Pair>(json).unwrap_err().to_string()
    }

    #[test]
    fn reports_the_first_error_in_the_objects_order_then_missing_fields() {
        assert_eq!(error(r#"{"z": 1, "a": "x"}"#), r#"a: invalid type: string "x", expected u32"#);
        assert_eq!(error(r#"{"b": 1.5}"#), "b: invalid type: floating point `1.5`, expected u32");
        assert_eq!(
            error(r#"{"b": 1, "y": 2}"#),
            "y: unknown field `y`, expected one of `a`, `b`, `proto`, `note`"
        );
        assert_eq!(error(r#"{"b": 1}"#), "$: missing field `a`");
        assert_eq!(error(r#"{"a": -1, "b": 1}"#), "a: invalid value: integer `-1`, expected u32");
    }

    #[test]
    fn reads_a_struct_given_as_an_array_by_position() {
        let pair = parse::<Pair>(r#"[1, 2, "udp"]"#).unwrap();
        assert_eq!((pair.a, pair.b, pair.proto, pair.note), (1, 2, Proto::Udp, None));
        assert_eq!(error("[1]"), "$: invalid length 1, expected struct Pair with 4 elements");
        assert_eq!(
            error(r#"[1, 2, "tcp", null, 5]"#),
            "$: invalid length 5, expected fewer elements in array"
        );
        assert_eq!(error("null"), "$: invalid type: null, expected struct Pair");
    }

    #[test]
    fn reads_a_unit_variant_by_name_or_as_a_single_key_map() {
        assert_eq!(parse::<Proto>(r#"{"udp": null}"#).unwrap(), Proto::Udp);
        assert_eq!(
            parse::<Proto>(r#""sctp""#).unwrap_err().to_string(),
            "$: unknown variant `sctp`, expected `tcp` or `udp`"
        );
        assert_eq!(
            parse::<Proto>(r#"{"tcp": 5}"#).unwrap_err().to_string(),
            "tcp: invalid type: integer `5`, expected unit"
        );
        assert_eq!(
            parse::<Proto>(r#"{"tcp": null, "udp": null}"#).unwrap_err().to_string(),
            "$: invalid value: map, expected map with a single key"
        );
    }
}
