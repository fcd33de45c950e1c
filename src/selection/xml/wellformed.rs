//! The well-formedness rules of XML 1.0 that quick-xml leaves to its caller:
//! where the declaration may stand and what it holds, reserved processing
//! instruction targets, `--` in comments, `]]>` in text, and the characters
//! XML allows at all (§2.2), raw or as character references.
//!
//! A conforming parser (the service's) rejects a blob list that breaks any
//! of them, so blobsel does too. The checks on text cost one `memchr2` pass
//! for two bytes that are rare in paths; the rest runs on markup that is
//! rare in a blob list (declarations, comments, processing instructions,
//! attribute values, character references).

use quick_xml::events::BytesStart;

use crate::error::{Error, ErrorKind, Position};

/// Whether XML 1.0 allows `c` (§2.2 `Char`): tab, LF, CR, and everything
/// from U+0020 but the surrogates, U+FFFE and U+FFFF.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

fn error(pos: Position, message: String) -> Error {
    Error::new(ErrorKind::Syntax, message).at(pos)
}

/// `U+XXXX` and, for a surrogate or a value past U+10FFFF, what it is.
fn describe(code: u32) -> String {
    let what = match code {
        0xD800..=0xDFFF => " (a surrogate)",
        0x11_0000.. => " (beyond U+10FFFF)",
        _ => "",
    };
    format!("U+{code:04X}{what}")
}

fn illegal_character(code: u32, pos: Position, place: &str) -> Error {
    error(
        pos,
        format!(
            "character {} {place} is not allowed in XML (XML 1.0 §2.2): remove it",
            describe(code)
        ),
    )
}

/// The code point of the character XML does not allow that starts at byte
/// `i`, if one does.
fn is_illegal_at(bytes: &[u8], i: usize) -> Option<u32> {
    match bytes[i] {
        b'\t' | b'\n' | b'\r' => None,
        b @ 0..=0x1F => Some(u32::from(b)),
        // U+FFFE and U+FFFF are EF BF BE and EF BF BF; surrogates are not
        // UTF-8 at all and fail the UTF-8 check.
        0xEF if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => {
            Some(0xFFF0 | u32::from(bytes[i + 2] & 0x0F))
        }
        _ => None,
    }
}

/// Text content of a path, as it stands in the document: `]]>` and raw
/// U+FFFE/U+FFFF are errors. (Raw control characters are left to the path
/// check, whose message says blob names cannot hold them.)
pub(crate) fn check_text(raw: &[u8], pos: Position) -> Result<(), Error> {
    let mut from = 0;
    while let Some(i) = memchr::memchr2(b']', 0xEF, &raw[from..]).map(|i| i + from) {
        if raw[i] == b']' {
            if raw[i..].starts_with(b"]]>") {
                return Err(error(
                    pos.advance(&raw[..i]),
                    "\"]]>\" in text: XML allows it only to end a CDATA section; \
                     write \"]]&gt;\""
                        .to_string(),
                ));
            }
        } else if let Some(code) = is_illegal_at(raw, i) {
            return Err(illegal_character(code, pos.advance(&raw[..i]), "in text"));
        }
        from = i + 1;
    }
    Ok(())
}

/// CDATA content of a path: raw U+FFFE/U+FFFF are errors.
pub(crate) fn check_cdata(raw: &[u8], pos: Position) -> Result<(), Error> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(0xEF, &raw[from..]).map(|i| i + from) {
        if let Some(code) = is_illegal_at(raw, i) {
            // The content starts after `<![CDATA[`.
            let at = pos.advance(b"<![CDATA[").advance(&raw[..i]);
            return Err(illegal_character(code, at, "in CDATA"));
        }
        from = i + 1;
    }
    Ok(())
}

/// Every character of `raw` (a comment, a processing instruction, an
/// attribute value) must be one XML allows.
fn check_chars(raw: &[u8], pos: Position, place: &str) -> Result<(), Error> {
    for i in 0..raw.len() {
        if let Some(code) = is_illegal_at(raw, i) {
            return Err(illegal_character(code, pos.advance(&raw[..i]), place));
        }
    }
    Ok(())
}

/// Character references in escaped text must name characters XML allows:
/// `&#1;`, `&#xFFFE;` or `&#xD800;` are errors even though the reference
/// itself is well-formed. References quick-xml cannot parse are left to it.
pub(crate) fn check_char_refs(raw: &[u8], pos: Position) -> Result<(), Error> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'&', &raw[from..]).map(|i| i + from) {
        from = i + 1;
        let Some(body) = raw[i + 1..].strip_prefix(b"#") else {
            continue;
        };
        let Some(end) = memchr::memchr(b';', body) else {
            continue;
        };
        let (digits, radix) = match body[..end].strip_prefix(b"x") {
            Some(hex) => (hex, 16),
            None => (&body[..end], 10),
        };
        if digits.is_empty() || !digits.iter().all(|b| char::from(*b).is_digit(radix)) {
            continue;
        }
        // Saturating: a long run of digits is past U+10FFFF all the same.
        let code = digits.iter().fold(0u32, |n, b| {
            n.saturating_mul(radix)
                .saturating_add(char::from(*b).to_digit(radix).unwrap_or(0))
        });
        if !char::from_u32(code).is_some_and(is_xml_char) {
            let reference = String::from_utf8_lossy(&raw[i..i + 3 + end]);
            return Err(error(
                pos.advance(&raw[..i]),
                format!(
                    "character reference {reference:?} names {}, which XML does not allow \
                     (XML 1.0 §2.2): remove it",
                    describe(code)
                ),
            ));
        }
    }
    Ok(())
}

/// An attribute value as written (before unescaping): every character, raw
/// or referenced, must be one XML allows. `pos` is where the value starts.
pub(crate) fn check_attribute_value(raw: &[u8], pos: Position) -> Result<(), Error> {
    if let Some(i) = memchr::memchr(b'<', raw) {
        return Err(error(
            pos.advance(&raw[..i]),
            "'<' in an attribute value: XML does not allow it there (§3.1); write \"&lt;\""
                .to_string(),
        ));
    }
    check_chars(raw, pos, "in an attribute value")?;
    if memchr::memchr(b'&', raw).is_some() {
        check_char_refs(raw, pos)?;
    }
    Ok(())
}

/// Where the value of an attribute of `start` begins: the start tag's `<`
/// is at `pos`, and `value` borrows from the tag's bytes.
pub(crate) fn value_position(start: &BytesStart<'_>, value: &[u8], pos: Position) -> Position {
    let tag: &[u8] = start;
    let offset = (value.as_ptr() as usize).wrapping_sub(tag.as_ptr() as usize);
    if offset <= tag.len() && offset + value.len() <= tag.len() {
        pos.advance(b"<").advance(&tag[..offset])
    } else {
        pos
    }
}

/// A comment's text (between `<!--` and `-->`, the comment at `pos`): no
/// `--` inside, no `-` at the end (`--->`), and only characters XML allows.
pub(crate) fn check_comment(text: &[u8], pos: Position) -> Result<(), Error> {
    let start = pos.advance(b"<!--");
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'-', &text[from..]).map(|i| i + from) {
        if text.get(i + 1) == Some(&b'-') {
            return Err(error(
                start.advance(&text[..i]),
                "\"--\" inside a comment: XML 1.0 (§2.5) does not allow it; \
                 separate the hyphens with a space, or end the comment with \"-->\" here"
                    .to_string(),
            ));
        }
        if i + 1 == text.len() {
            return Err(error(
                start.advance(&text[..i]),
                "a comment ending in \"--->\": XML 1.0 (§2.5) does not allow '-' just \
                 before \"-->\"; put a space before \"-->\""
                    .to_string(),
            ));
        }
        from = i + 1;
    }
    check_chars(text, start, "in a comment")
}

/// A processing instruction `<?target …?>` (content between `<?` and `?>`)
/// at `pos`: a target is required, `xml` in any case is reserved, and only
/// characters XML allows. `<?xml …?>` itself goes to [`check_decl`].
pub(crate) fn check_pi(content: &[u8], target: &[u8], pos: Position) -> Result<(), Error> {
    if !is_name(target) {
        return Err(error(
            pos,
            format!(
                "processing instruction target {:?} is not a name (\"<?\" must be followed \
                 by one, like <?target data?>): remove it",
                String::from_utf8_lossy(target)
            ),
        ));
    }
    if target.eq_ignore_ascii_case(b"xml") {
        return Err(error(
            pos,
            format!(
                "processing instruction target {:?} is reserved (XML 1.0 §2.6): the \
                 XML declaration is written <?xml version=\"1.0\"?>, in lowercase, at the \
                 very start; remove this one",
                String::from_utf8_lossy(target)
            ),
        ));
    }
    check_chars(content, pos.advance(b"<?"), "in a processing instruction")
}

/// Whether `name` is an XML `Name` (§2.3), judged on its ASCII bytes: a
/// letter, `_` or `:` first, then also digits, `-` and `.`. Non-ASCII
/// characters pass (the name-character ranges are not worth their cost
/// for a processing instruction blobsel ignores).
fn is_name(name: &[u8]) -> bool {
    let ascii_ok = |b: u8, first: bool| {
        !b.is_ascii()
            || b.is_ascii_alphabetic()
            || b == b'_'
            || b == b':'
            || (!first && (b.is_ascii_digit() || b == b'-' || b == b'.'))
    };
    match name.split_first() {
        Some((&first, rest)) => ascii_ok(first, true) && rest.iter().all(|&b| ascii_ok(b, false)),
        None => false,
    }
}

/// Where an XML declaration was found.
pub(crate) enum DeclPlace {
    /// At the very start (after a byte-order mark at most).
    Start,
    /// After whitespace, a comment or a processing instruction, and before
    /// the root element.
    Late,
    /// Inside or after the root element, or after another declaration.
    Misplaced,
}

/// An XML declaration `<?xml …?>` (`content` is between `<?` and `?>`) at
/// `pos`: it must stand at the very start, list `version` (1.x) first, then
/// optionally `encoding` (one blobsel reads) and `standalone` (`yes`/`no`),
/// and nothing else.
pub(crate) fn check_decl(content: &[u8], place: DeclPlace, pos: Position) -> Result<(), Error> {
    match place {
        DeclPlace::Start => {}
        DeclPlace::Late => {
            return Err(error(
                pos,
                "the XML declaration is not at the start of the document: only a \
                 byte-order mark may come before <?xml …?>; remove the whitespace, \
                 comments or other markup before it (or the declaration)"
                    .to_string(),
            ))
        }
        DeclPlace::Misplaced => {
            return Err(error(
                pos,
                "misplaced XML declaration: a document has at most one, at its very \
                 start; remove this one"
                    .to_string(),
            ))
        }
    }
    let text = std::str::from_utf8(content).map_err(|_| {
        Error::new(
            ErrorKind::Encoding,
            "invalid UTF-8: the blob list must be UTF-8 (or UTF-16 with a byte-order mark)",
        )
        .at(pos)
    })?;
    check_chars(content, pos.advance(b"<?"), "in the XML declaration")?;
    let decl = BytesStart::from_content(text, 3);
    const FIX: &str = "write <?xml version=\"1.0\" encoding=\"utf-8\"?>";
    let mut seen = 0; // 1: version, 2: encoding, 3: standalone
    for attr in decl.attributes().with_checks(true) {
        let attr =
            attr.map_err(|e| error(pos, format!("malformed XML declaration: {e}; {FIX}")))?;
        let value = String::from_utf8_lossy(&attr.value);
        let rank = match attr.key.as_ref() {
            b"version" => 1,
            b"encoding" => 2,
            b"standalone" => 3,
            other => {
                return Err(error(
                    pos,
                    format!(
                        "unknown attribute {:?} in the XML declaration: it takes version, \
                         encoding and standalone; {FIX}",
                        String::from_utf8_lossy(other)
                    ),
                ))
            }
        };
        if seen == 0 && rank != 1 {
            break; // reported as a missing version below
        }
        if rank <= seen {
            return Err(error(
                pos,
                format!(
                    "the XML declaration lists version, encoding and standalone out of \
                     order (or twice): {FIX}"
                ),
            ));
        }
        seen = rank;
        match rank {
            1 => check_version(&value, pos)?,
            2 => check_encoding(&value, pos)?,
            _ if matches!(&*value, "yes" | "no") => {}
            _ => {
                return Err(error(
                    pos,
                    format!(
                        "standalone={value:?} in the XML declaration: write \"yes\" or \
                         \"no\" (or leave it out)"
                    ),
                ))
            }
        }
    }
    if seen == 0 {
        return Err(error(
            pos,
            format!("the XML declaration has no version (it must come first): {FIX}"),
        ));
    }
    Ok(())
}

/// `VersionNum ::= '1.' [0-9]+`.
fn check_version(value: &str, pos: Position) -> Result<(), Error> {
    let ok = value
        .strip_prefix("1.")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        return Ok(());
    }
    Err(error(
        pos,
        format!(
            "XML version {value:?} is not supported: blob lists are XML 1.0; write version=\"1.0\""
        ),
    ))
}

/// The encodings blobsel reads: UTF-8 and UTF-16 (the bytes decide which).
fn check_encoding(value: &str, pos: Position) -> Result<(), Error> {
    let enc = value.to_ascii_lowercase();
    if matches!(
        enc.as_str(),
        "utf-8" | "utf8" | "utf-16" | "utf-16le" | "utf-16be"
    ) {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Encoding,
        format!(
            "the document declares encoding {enc:?}: blobsel reads UTF-8 and UTF-16; \
             re-save the file as UTF-8"
        ),
    )
    .at(pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Position = Position { line: 1, column: 1 };

    #[test]
    fn xml_chars_follow_section_2_2() {
        for ok in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{7F}',
            '\u{85}',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
        ] {
            assert!(is_xml_char(ok), "{ok:?}");
        }
        for bad in [
            '\0', '\u{1}', '\u{B}', '\u{C}', '\u{1F}', '\u{FFFE}', '\u{FFFF}',
        ] {
            assert!(!is_xml_char(bad), "{bad:?}");
        }
    }

    /// The byte scan agrees with `is_xml_char` on every character that can
    /// stand in UTF-8 (surrogates cannot).
    #[test]
    fn byte_scan_agrees_with_is_xml_char() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            let found = check_chars(bytes, AT, "here").is_err();
            assert_eq!(found, !is_xml_char(c), "{c:?}");
        }
    }

    #[test]
    fn char_refs() {
        for ok in [
            "&#9;",
            "&#xA;",
            "&#x20;",
            "&#xFFFD;",
            "&#x10000;",
            "&#1114111;",
            "&amp;",
            "a&#x;b",
            "&#;",
        ] {
            assert!(check_char_refs(ok.as_bytes(), AT).is_ok(), "{ok}");
        }
        for bad in [
            "&#1;",
            "&#0;",
            "&#x0;",
            "&#xFFFE;",
            "&#65535;",
            "&#xD800;",
            "&#x110000;",
            "&#99999999999999999999;",
        ] {
            let e = check_char_refs(format!("ab{bad}").as_bytes(), AT).unwrap_err();
            assert_eq!(e.position(), Some(Position { line: 1, column: 3 }), "{bad}");
            assert!(e.message().contains(bad), "{}", e.message());
        }
    }

    #[test]
    fn comments() {
        for ok in [" a ", "", " a-b ", "-a", "a - b"] {
            assert!(check_comment(ok.as_bytes(), AT).is_ok(), "{ok}");
        }
        for bad in [" a--b ", "--", " a -", "-", "\u{1}", "\u{FFFF}"] {
            assert!(check_comment(bad.as_bytes(), AT).is_err(), "{bad}");
        }
        // `<!-- a--b -->`: the first hyphen of the pair is column 7.
        let e = check_comment(b" a--b ", AT).unwrap_err();
        assert_eq!(e.position(), Some(Position { line: 1, column: 7 }));
    }

    #[test]
    fn declarations() {
        let ok = |s: &str| check_decl(s.as_bytes(), DeclPlace::Start, AT);
        for good in [
            "xml version=\"1.0\"",
            "xml version='1.1' ",
            "xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"",
            "xml version=\"1.0\" standalone='no'",
            "xml version=\"1.0\" encoding=\"utf-16\"",
        ] {
            assert!(ok(good).is_ok(), "{good}");
        }
        for bad in [
            "xml",
            "xml ",
            "xml encoding=\"utf-8\"",
            "xml encoding=\"utf-8\" version=\"1.0\"",
            "xml version=\"2.0\"",
            "xml version=\"1.\"",
            "xml version=\"1.0\" standalone=\"yes\" encoding=\"utf-8\"",
            "xml version=\"1.0\" version=\"1.0\"",
            "xml version=\"1.0\" foo=\"bar\"",
            "xml version=\"1.0\" standalone=\"true\"",
        ] {
            assert_eq!(ok(bad).unwrap_err().kind(), ErrorKind::Syntax, "{bad}");
        }
        assert_eq!(
            ok("xml version=\"1.0\" encoding=\"latin1\"")
                .unwrap_err()
                .kind(),
            ErrorKind::Encoding
        );
        assert!(check_decl(b"xml version=\"1.0\"", DeclPlace::Late, AT).is_err());
        assert!(check_decl(b"xml version=\"1.0\"", DeclPlace::Misplaced, AT).is_err());
    }
}
