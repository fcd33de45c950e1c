//! A small JSON parser that keeps the byte span of every value and key, so
//! errors and rules can name `line:column`. Selections are small documents;
//! the tree costs memory in proportion to the text, and nesting is bounded.

use crate::error::{Error, ErrorKind, Position};

/// Nesting deeper than this is refused (a hostile document could otherwise
/// exhaust the stack).
const MAX_DEPTH: usize = 128;

/// A JSON value with the byte span of its text.
#[derive(Debug)]
pub(crate) struct Node {
    pub start: usize,
    pub end: usize,
    pub value: Value,
}

#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Bool,
    Number,
    String(String),
    Array(Vec<Node>),
    /// Keys with the offset of the key's opening quote.
    Object(Vec<(String, usize, Node)>),
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool => "a boolean",
            Value::Number => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }
}

/// Parses a whole JSON document (one value, then only whitespace).
pub(crate) fn parse(text: &[u8]) -> Result<Node, Error> {
    let mut p = Parser {
        text,
        at: 0,
        depth: 0,
    };
    p.skip_ws();
    let node = p.value()?;
    p.skip_ws();
    if p.at < text.len() {
        return Err(p.error("unexpected text after the JSON document"));
    }
    Ok(node)
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, msg: &str) -> Error {
        let msg = if self.at >= self.text.len() {
            format!("{msg}: unexpected end of input (is the file truncated?)")
        } else {
            msg.to_string()
        };
        Error::new(ErrorKind::Syntax, format!("malformed JSON: {msg}"))
            .at(Position::from_offset(self.text, self.at))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.at) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Node, Error> {
        let start = self.at;
        let value = match self.text.get(self.at) {
            Some(b'{') => self.nested(Parser::object)?,
            Some(b'[') => self.nested(Parser::array)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal(b"true", Value::Bool)?,
            Some(b'f') => self.literal(b"false", Value::Bool)?,
            Some(b'n') => self.literal(b"null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.error("expected a JSON value")),
        };
        Ok(Node {
            start,
            end: self.at,
            value,
        })
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, Error>) -> Result<Value, Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let v = f(self)?;
        self.depth -= 1;
        Ok(v)
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value, Error> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.at;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.text.get(self.at) {
            self.at += 1;
        }
        let s = std::str::from_utf8(&self.text[start..self.at]).unwrap_or("");
        if serde_json::from_str::<serde_json::Number>(s).is_err() {
            self.at = start;
            return Err(self.error("malformed number"));
        }
        Ok(Value::Number)
    }

    fn array(&mut self) -> Result<Value, Error> {
        self.at += 1; // [
        let mut items = Vec::new();
        self.skip_ws();
        if self.text.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.text.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']' in a list")),
            }
        }
    }

    fn object(&mut self) -> Result<Value, Error> {
        self.at += 1; // {
        let mut members = Vec::new();
        self.skip_ws();
        if self.text.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.text.get(self.at) != Some(&b'"') {
                return Err(self.error("expected a quoted key"));
            }
            let key_at = self.at;
            let key = self.string()?;
            self.skip_ws();
            if self.text.get(self.at) != Some(&b':') {
                return Err(self.error("expected ':' after the key"));
            }
            self.at += 1;
            self.skip_ws();
            let value = self.value()?;
            members.push((key, key_at, value));
            self.skip_ws();
            match self.text.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    fn string(&mut self) -> Result<String, Error> {
        self.at += 1; // "
        let mut out = String::new();
        loop {
            let run = self.text[self.at..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(self.text.len() - self.at);
            let chunk = &self.text[self.at..self.at + run];
            match std::str::from_utf8(chunk) {
                Ok(s) => out.push_str(s),
                Err(e) => {
                    self.at += e.valid_up_to();
                    return Err(Error::new(ErrorKind::Encoding, "invalid UTF-8 in a string")
                        .at(Position::from_offset(self.text, self.at)));
                }
            }
            self.at += run;
            match self.text.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => {
                    return Err(self.error("a control character must be escaped in a string"))
                }
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        self.at += 1; // backslash
        let c = match self.text.get(self.at) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if !self.text[self.at + 1..].starts_with(b"\\u") {
                        return Err(self.error("unpaired surrogate in \\u escape"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("unpaired surrogate in \\u escape"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(code)
                    .ok_or_else(|| self.error("unpaired surrogate in \\u escape"))?
            }
            _ => return Err(self.error("invalid escape in a string")),
        };
        out.push(c);
        self.at += 1;
        Ok(())
    }

    /// Reads the 4 hex digits after `\u` (self.at is on the `u`), leaving
    /// self.at on the last digit.
    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self
            .text
            .get(self.at + 1..self.at + 5)
            .ok_or_else(|| self.error("short \\u escape"))?;
        let s = std::str::from_utf8(digits).map_err(|_| self.error("invalid \\u escape"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.at += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_spans() {
        let text = br#" {"a": [1, "x\u00e9\ud83d\ude00", null, true], "b": {}} "#;
        let node = parse(text).unwrap();
        let Value::Object(members) = &node.value else {
            panic!()
        };
        assert_eq!(members[0].0, "a");
        assert_eq!(&text[members[0].1..members[0].1 + 3], b"\"a\"");
        let Value::Array(items) = &members[0].2.value else {
            panic!()
        };
        assert!(matches!(&items[1].value, Value::String(s) if s == "x\u{e9}\u{1F600}"));
        assert_eq!(&text[node.start..node.end], &text[1..text.len() - 1]);
    }

    #[test]
    fn errors_have_positions() {
        for (text, line, column) in [
            ("{\"a\": [1,\n 2,,]}", 2, 4),
            ("{\"a\": tru}", 1, 7),
            ("{\"a\": \"x", 1, 9),
            ("[1] 2", 1, 5),
            ("{\"a\"\n: \"\t\"}", 2, 4),
        ] {
            let e = parse(text.as_bytes()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Syntax, "{text}");
            assert_eq!(e.position(), Some(Position { line, column }), "{text}: {e}");
        }
        let deep = "[".repeat(10_000);
        assert!(parse(deep.as_bytes())
            .unwrap_err()
            .message()
            .contains("nested deeper"));
        assert_eq!(parse(b"\"\xff\"").unwrap_err().kind(), ErrorKind::Encoding);
    }
}
