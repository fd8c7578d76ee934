//! `-f key=value` and `-F key=value`, in the order given: typed values (`true`, `false`,
//! `null`, JSON numbers; `@FILE` and `@-` read as a string), nested objects (`key[sub]=v`) and
//! arrays (`key[]=v`, a bare `key[]` for an empty one), made into a JSON object body or, for
//! a GET, query parameters. The syntax is `gh api`'s.

use std::io::Read;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One field as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FieldArg {
    /// `-f`: the value is a string, whatever it looks like.
    Raw(String),
    /// `-F`: the value is typed.
    Typed(String),
}

/// A field, parsed and its value read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Field {
    /// The key as given (`a[b][]`), for the query string.
    name: String,
    path: Vec<Segment>,
    /// `None` for a bare `key[]`: an empty array.
    value: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Key(String),
    /// `[]`: the next element of an array.
    Append,
}

/// Standard input, which `@-` and `--input -` may read once between them.
#[derive(Debug, Default)]
pub(crate) struct Stdin {
    taken: bool,
}

impl Stdin {
    pub(crate) fn read(&mut self, by: &str) -> Result<Vec<u8>> {
        if std::mem::replace(&mut self.taken, true) {
            return Err(Error::usage(format!(
                "{by} reads standard input, which another option already read"
            ))
            .hint("read standard input once: one `@-` field or `--input -`"));
        }
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|err| Error::usage("cannot read standard input").because(err))?;
        Ok(bytes)
    }
}

/// Parses every field, reading `@FILE` and `@-` values.
pub(crate) fn parse(args: &[FieldArg], stdin: &mut Stdin) -> Result<Vec<Field>> {
    args.iter().map(|arg| parse_one(arg, stdin)).collect()
}

fn parse_one(arg: &FieldArg, stdin: &mut Stdin) -> Result<Field> {
    let (text, typed) = match arg {
        FieldArg::Raw(text) => (text, false),
        FieldArg::Typed(text) => (text, true),
    };
    let flag = if typed { "-F" } else { "-f" };
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (text.as_str(), None),
    };
    let path = parse_key(name).ok_or_else(|| {
        Error::usage(format!("{flag} {text}: `{name}` is not a field name")).hint(
            "a field is key=value; nest with key[sub]=value, append to an array with key[]=value",
        )
    })?;
    let value = match value {
        Some(value) if typed => Some(typed_value(value, flag, stdin)?),
        Some(value) => Some(Value::String(value.to_owned())),
        // A bare `key[]`: an empty array.
        None if path.last() == Some(&Segment::Append) => None,
        None => {
            return Err(Error::usage(format!("{flag} {text}: no value"))
                .hint("give the field as key=value (key[] alone makes an empty array)"));
        }
    };
    Ok(Field {
        name: name.to_owned(),
        path,
        value,
    })
}

/// `name([sub]|[])*`: a plain name, then any number of bracketed keys or empty brackets.
fn parse_key(text: &str) -> Option<Vec<Segment>> {
    let first_bracket = text.find('[').unwrap_or(text.len());
    let name = &text[..first_bracket];
    if name.is_empty() || name.contains(']') {
        return None;
    }
    let mut path = vec![Segment::Key(name.to_owned())];
    let mut rest = &text[first_bracket..];
    while !rest.is_empty() {
        let inner_end = rest.strip_prefix('[')?.find(']')? + 1;
        let inner = &rest[1..inner_end];
        if inner.contains('[') {
            return None;
        }
        path.push(if inner.is_empty() {
            Segment::Append
        } else {
            Segment::Key(inner.to_owned())
        });
        rest = &rest[inner_end + 1..];
    }
    Some(path)
}

fn typed_value(value: &str, flag: &str, stdin: &mut Stdin) -> Result<Value> {
    match value {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "null" => return Ok(Value::Null),
        _ => {}
    }
    if let Some(source) = value.strip_prefix('@') {
        let bytes = if source == "-" {
            stdin.read(&format!("{flag} …=@-"))?
        } else {
            std::fs::read(source).map_err(|err| {
                Error::usage(format!("{flag} …=@{source}: cannot read the file")).because(err)
            })?
        };
        return String::from_utf8(bytes).map(Value::String).map_err(|_| {
            Error::usage(format!(
                "{flag} …=@{source}: the contents are not UTF-8 text"
            ))
            .hint("send binary data with --input FILE")
        });
    }
    // A JSON number exactly as it is written: serde_json refuses `007` and `1e999`, and the
    // whitespace it would skip (` 1`, `1 `) keeps a value a string.
    if only_number_characters(value)
        && let Ok(number) = serde_json::from_str::<serde_json::Number>(value)
    {
        return Ok(Value::Number(number));
    }
    Ok(Value::String(value.to_owned()))
}

fn only_number_characters(value: &str) -> bool {
    value
        .bytes()
        .all(|byte| byte.is_ascii_digit() || b"+-.eE".contains(&byte))
}

/// The fields as one JSON object, in the order given.
pub(crate) fn object(fields: &[Field]) -> Result<Value> {
    let mut root = Value::Object(Map::new());
    for field in fields {
        insert(&mut root, &field.path, field.value.clone()).ok_or_else(|| {
            Error::usage(format!(
                "field `{}` does not fit with the fields before it",
                field.name
            ))
            .hint("a key is either a value, an object (key[sub]=) or an array (key[]=), not two of them")
        })?;
    }
    Ok(root)
}

/// Puts `value` at `path` below `node`; `None` when the path crosses a value of another kind.
fn insert(node: &mut Value, path: &[Segment], value: Option<Value>) -> Option<()> {
    let (first, rest) = path.split_first()?;
    let empty_like = |next: Option<&Segment>| match next {
        Some(Segment::Append) => Value::Array(Vec::new()),
        Some(Segment::Key(_)) => Value::Object(Map::new()),
        None => Value::Null,
    };
    match first {
        Segment::Key(key) => {
            let object = node.as_object_mut()?;
            if rest.is_empty() {
                match value {
                    Some(value) => {
                        object.insert(key.clone(), value);
                    }
                    // A bare `key[]` never reaches here: its path ends with Append.
                    None => return None,
                }
                return Some(());
            }
            let child = object
                .entry(key.clone())
                .or_insert_with(|| empty_like(rest.first()));
            insert(child, rest, value)
        }
        Segment::Append => {
            let array = node.as_array_mut()?;
            match rest.first() {
                None => {
                    // `key[]=v` appends; a bare `key[]` only makes sure the array exists.
                    array.extend(value);
                    Some(())
                }
                Some(Segment::Key(next)) => {
                    // `key[][sub]=v` fills the last object until it already has `sub`, as
                    // gh does: `-f a[][x]=1 -f a[][y]=2 -f a[][x]=3` makes two objects.
                    let reuse = array
                        .last()
                        .and_then(Value::as_object)
                        .is_some_and(|last| !last.contains_key(next) || rest.len() > 1);
                    if !reuse {
                        array.push(Value::Object(Map::new()));
                    }
                    insert(array.last_mut()?, rest, value)
                }
                Some(Segment::Append) => {
                    array.push(Value::Array(Vec::new()));
                    insert(array.last_mut()?, rest, value)
                }
            }
        }
    }
}

/// The fields as query parameters, in the order given: the key as written, the value as
/// text (a string as it is, anything else as JSON); a bare `key[]` adds nothing.
pub(crate) fn query(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .filter_map(|field| {
            let value = match field.value.as_ref()? {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            Some((field.name.clone(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(args: &[FieldArg]) -> Vec<Field> {
        parse(args, &mut Stdin::default()).unwrap()
    }

    fn raw(text: &str) -> FieldArg {
        FieldArg::Raw(text.to_owned())
    }

    fn typed(text: &str) -> FieldArg {
        FieldArg::Typed(text.to_owned())
    }

    #[test]
    fn typed_values_are_json_and_raw_ones_strings() {
        let body = object(&fields(&[
            typed("t=true"),
            typed("f=false"),
            typed("n=null"),
            typed("i=42"),
            typed("neg=-1.5e3"),
            typed("zero=0"),
            typed("padded=007"),
            typed("huge=1e999"),
            typed("minus07=-07"),
            typed("lead= 1"),
            typed("trail=1 "),
            typed("line=1\n"),
            typed("plus=+1"),
            typed("hex=0x10"),
            typed("word=hello"),
            raw("rt=true"),
            raw("ri=42"),
            raw("empty="),
            typed("eq=a=b"),
        ]))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "t": true, "f": false, "n": null, "i": 42, "neg": -1.5e3, "zero": 0,
                "padded": "007", "huge": "1e999", "minus07": "-07", "lead": " 1", "trail": "1 ",
                "line": "1\n", "plus": "+1", "hex": "0x10", "word": "hello",
                "rt": "true", "ri": "42", "empty": "", "eq": "a=b",
            })
        );
    }

    #[test]
    fn brackets_nest_objects_and_build_arrays_in_order() {
        let body = object(&fields(&[
            raw("user[name]=ann"),
            typed("user[age]=40"),
            typed("user[tags][]=1"),
            raw("user[tags][]=two"),
            typed("empty[]"),
            raw("list[][x]=1"),
            raw("list[][y]=2"),
            raw("list[][x]=3"),
            // Deeper paths below `sub` keep filling the same object, as gh does for arrays.
            raw("tags[][names][]=a"),
            raw("tags[][names][]=b"),
            raw("nest[][o][p]=1"),
            raw("nest[][o][q]=2"),
            raw("deep[a][b][c]=d"),
        ]))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "user": {"name": "ann", "age": 40, "tags": [1, "two"]},
                "empty": [],
                "list": [{"x": "1", "y": "2"}, {"x": "3"}],
                "tags": [{"names": ["a", "b"]}],
                "nest": [{"o": {"p": "1", "q": "2"}}],
                "deep": {"a": {"b": {"c": "d"}}},
            })
        );
    }

    #[test]
    fn fields_that_cannot_fit_or_parse_are_usage_errors() {
        for bad in [
            "novalue", "=v", "a]=1", "a[b=1", "a[b]c=1", "a[[b]]=1", "[x]=1",
        ] {
            let err = parse(&[raw(bad)], &mut Stdin::default()).unwrap_err();
            assert_eq!(err.kind(), crate::error::Kind::Usage, "{bad}");
            assert!(err.hint_text().is_some(), "{bad}");
        }
        for clash in [
            [raw("a=1"), raw("a[b]=2")],
            [raw("a[b]=1"), raw("a[]=2")],
            [raw("a[]=1"), raw("a[b]=2")],
        ] {
            let err = object(&fields(&clash)).unwrap_err();
            assert_eq!(err.kind(), crate::error::Kind::Usage);
        }
    }

    #[test]
    fn files_are_read_as_text_and_stdin_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("note.txt");
        std::fs::write(&path, "line one\nline two\n").unwrap();
        let body = object(&fields(&[typed(&format!("note=@{}", path.display()))])).unwrap();
        assert_eq!(body, json!({"note": "line one\nline two\n"}));
        // -f never reads files.
        let body = object(&fields(&[raw("at=@/etc/passwd")])).unwrap();
        assert_eq!(body, json!({"at": "@/etc/passwd"}));
        let missing = parse(&[typed("x=@/nonexistent/file")], &mut Stdin::default()).unwrap_err();
        assert_eq!(missing.kind(), crate::error::Kind::Usage);
        let binary = dir.path().join("blob");
        std::fs::write(&binary, b"\xff\xfe").unwrap();
        let err = parse(
            &[typed(&format!("x=@{}", binary.display()))],
            &mut Stdin::default(),
        )
        .unwrap_err();
        assert!(err.hint_text().unwrap().contains("--input"), "{err:?}");
        let mut used = Stdin { taken: true };
        assert_eq!(
            parse(&[typed("x=@-")], &mut used).unwrap_err().kind(),
            crate::error::Kind::Usage
        );
    }

    #[test]
    fn for_a_get_the_fields_are_query_parameters_in_order() {
        let parsed = fields(&[
            raw("q=a b"),
            typed("n=5"),
            typed("flag=true"),
            raw("tags[]=x"),
            typed("none[]"),
        ]);
        assert_eq!(
            query(&parsed),
            [
                ("q".to_owned(), "a b".to_owned()),
                ("n".to_owned(), "5".to_owned()),
                ("flag".to_owned(), "true".to_owned()),
                ("tags[]".to_owned(), "x".to_owned()),
            ]
        );
    }
}
