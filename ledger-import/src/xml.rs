//! A small streaming XML reader: hands over the root element when it opens, then each child of
//! the root as a complete tree once it closes, so that a large list is never held whole.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};

use ledger_core::time::Date;

use crate::ParseError;
use crate::text::BadValue;

/// An element: its name, attributes, text and child elements.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// The element's local name.
    pub(crate) name: String,
    /// Its attributes (at most [`MAX_ATTRIBUTES`] of them).
    pub(crate) attrs: Vec<(String, String)>,
    /// Its text content, references resolved, line ends normalised, untrimmed.
    pub(crate) text: String,
    /// Its child elements, in order.
    pub(crate) children: Vec<Node>,
    /// The line its start tag is on.
    pub(crate) line: usize,
}

impl Node {
    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name` (empty if there is none).
    pub(crate) fn leaf(&self, name: &str) -> &str {
        self.child(name).map_or("", |c| c.text.trim())
    }

    /// The value of attribute `name`.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Counts lines up to byte positions, moving forward.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, pos: u64) -> usize {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(self.bytes.len());
        if pos < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.bytes[self.pos..pos].iter().filter(|&&b| b == b'\n').count();
        self.pos = pos;
        self.line
    }
}

fn open(start: &BytesStart<'_>, line: usize) -> Result<Node, ParseError> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    // Without quick-xml's duplicate check, which is quadratic in the number of attributes.
    for a in start.attributes().with_checks(false).take(MAX_ATTRIBUTES) {
        let a =
            a.map_err(|e| ParseError::new(format!("line {line}, element <{name}>"), format!("bad attribute: {e}")))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|e| ParseError::new(format!("line {line}, element <{name}>"), format!("bad attribute: {e}")))?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Node { name, attrs, text: String::new(), children: Vec::new(), line })
}

/// The deepest nesting of elements accepted: the published lists nest four or five deep.
pub(crate) const MAX_DEPTH: usize = 32;
/// The most attributes read from one element.
const MAX_ATTRIBUTES: usize = 64;

/// Reads `bytes` (UTF-8, optional byte-order mark): calls `on_root` when the root element
/// opens and `on_child` with each complete child of the root. Refuses malformed XML, a
/// document that ends before its root closes, and elements after the root.
pub(crate) fn read(
    bytes: &[u8],
    mut on_root: impl FnMut(&Node) -> Result<(), ParseError>,
    mut on_child: impl FnMut(Node) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let text = crate::text::utf8(bytes)?;
    let bom = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let text = &text[bom..];
    let mut lines = Lines { bytes: text.as_bytes(), pos: 0, line: 1 };
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut tree = Tree::default();
    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let line = lines.at(reader.error_position());
                let within =
                    tree.stack.last().map(|n| format!(" inside <{}> (line {})", n.name, n.line)).unwrap_or_default();
                return Err(ParseError::new(format!("line {line}"), format!("malformed XML{within}: {e}")));
            }
        };
        let line = lines.at(before);
        let at = || format!("line {line}");
        match event {
            Event::Start(s) => {
                tree.may_open(line, true)?;
                tree.start(open(&s, line)?, &mut on_root)?;
            }
            Event::Empty(s) => {
                tree.may_open(line, false)?;
                tree.empty(open(&s, line)?, &mut on_root, &mut on_child)?;
            }
            Event::End(_) => tree.end(line, &mut on_child)?,
            Event::Text(t) => {
                let content = t.xml10_content().map_err(|e| ParseError::new(at(), e.to_string()))?;
                tree.text(&content, line)?;
            }
            Event::CData(t) => {
                let content = t.xml10_content().map_err(|e| ParseError::new(at(), e.to_string()))?;
                tree.text(&content, line)?;
            }
            Event::GeneralRef(r) => tree.text(&reference(&r, line)?, line)?,
            Event::Eof => return tree.finish(|| lines.at(reader.buffer_position())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

/// The text a character or entity reference stands for: a character, or one of the five
/// predefined entities (no other is declared in the lists).
fn reference(r: &BytesRef<'_>, line: usize) -> Result<String, ParseError> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(c.to_string()),
            _ => Err(ParseError::new(format!("line {line}"), "an invalid character reference")),
        };
    }
    let name = r.decode().map_err(|e| ParseError::new(format!("line {line}"), e.to_string()))?;
    match resolve_predefined_entity(&name) {
        Some(s) => Ok(s.to_owned()),
        None => Err(ParseError::new(format!("line {line}"), format!("unknown entity `&{name};`"))),
    }
}

/// The elements open while reading: the root, then the child of the root being built and its
/// open descendants.
#[derive(Default)]
struct Tree {
    stack: Vec<Node>,
    root_done: bool,
    seen_root: bool,
}

impl Tree {
    /// Refuses an element after the root, and (for a start tag, which nests) one deeper than
    /// [`MAX_DEPTH`].
    fn may_open(&self, line: usize, nests: bool) -> Result<(), ParseError> {
        if self.root_done {
            return Err(ParseError::new(format!("line {line}"), "an element after the root element"));
        }
        if nests && self.stack.len() >= MAX_DEPTH {
            return Err(ParseError::new(
                format!("line {line}"),
                format!("elements nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// A start tag: the root is handed over as it opens.
    fn start(
        &mut self,
        node: Node,
        on_root: &mut impl FnMut(&Node) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        if self.stack.is_empty() {
            self.seen_root = true;
            on_root(&node)?;
        }
        self.stack.push(node);
        Ok(())
    }

    /// An empty element (`<a/>`): a root that closes at once, a child of the root, or a
    /// descendant of one.
    fn empty(
        &mut self,
        node: Node,
        on_root: &mut impl FnMut(&Node) -> Result<(), ParseError>,
        on_child: &mut impl FnMut(Node) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        if self.stack.is_empty() {
            self.seen_root = true;
            self.root_done = true;
            return on_root(&node);
        }
        self.close(node, on_child)
    }

    /// An end tag.
    fn end(
        &mut self,
        line: usize,
        on_child: &mut impl FnMut(Node) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        let Some(node) = self.stack.pop() else {
            return Err(ParseError::new(format!("line {line}"), "a closing tag with no open element"));
        };
        if self.stack.is_empty() {
            self.root_done = true;
            return Ok(());
        }
        self.close(node, on_child)
    }

    /// A complete element below the root: handed over when it is a child of the root, else
    /// added to its parent.
    fn close(
        &mut self,
        node: Node,
        on_child: &mut impl FnMut(Node) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        match self.stack.len() {
            1 => on_child(node),
            _ => {
                if let Some(parent) = self.stack.last_mut() {
                    parent.children.push(node);
                }
                Ok(())
            }
        }
    }

    /// Appends text to the innermost open element; text outside the root must be blank, and the
    /// root's own text (whitespace between records) is not kept.
    fn text(&mut self, text: &str, line: usize) -> Result<(), ParseError> {
        match self.stack.len() {
            0 if text.trim().is_empty() => Ok(()),
            0 => Err(ParseError::new(format!("line {line}"), "text outside the root element")),
            1 => Ok(()),
            _ => {
                if let Some(node) = self.stack.last_mut() {
                    node.text.push_str(text);
                }
                Ok(())
            }
        }
    }

    /// The end of the document: refused inside an element (`line` says where it ended) or
    /// before any.
    fn finish(&self, line: impl FnOnce() -> usize) -> Result<(), ParseError> {
        if let Some(open) = self.stack.last() {
            return Err(ParseError::new(
                format!("line {}", line()),
                format!("the file ends inside <{}> opened on line {} (truncated?)", open.name, open.line),
            ));
        }
        if !self.seen_root {
            return Err(ParseError::new("line 1", "no XML element in the file"));
        }
        Ok(())
    }
}

/// An `xs:date`: `YYYY-MM-DD`, optionally followed by a time zone (`Z`, `+02:00`), which is
/// dropped (the date is the publisher's calendar day).
pub(crate) fn xs_date(s: &str) -> Result<Date, BadValue> {
    let s = s.trim();
    let bad = || BadValue::XsDate(s.to_owned());
    let (date, zone) = (s.get(..10).ok_or_else(bad)?, s.get(10..).ok_or_else(bad)?);
    let zone_ok = match zone.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) => {
            let (h, m) = ((h1 - b'0') * 10 + (h2 - b'0'), (m1 - b'0') * 10 + (m2 - b'0'));
            h < 14 && m < 60 || h == 14 && m == 0
        }
        _ => false,
    };
    if !zone_ok {
        return Err(bad());
    }
    Date::parse(date).map_err(|_| bad())
}
