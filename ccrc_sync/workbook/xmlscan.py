"""Safe XML parsing with byte offsets: the one place untrusted XML is parsed.

Every part of a workbook comes from a file staff (or anyone) can hand us, so every parser
here refuses a document type declaration outright: OOXML never uses one, and refusing it
is what rules out entity expansion ("billion laughs") and external DTD fetches.

Patching a part in place needs to know *where* each element sits in the original bytes,
not just what it says, so the light tree built here records each element's byte span
(start tag, inner content, end). Edits are then byte splices: everything not spliced
stays exactly as it was, whatever prefixes, quoting or whitespace the writer used.
"""

from __future__ import annotations

import re
import xml.parsers.expat as expat
from dataclasses import dataclass, field

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NAMESPACES = frozenset({NS_MAIN, NS_STRICT})

# The end of a start tag, quotes respected (an attribute value may hold '>').
_TAG_END = re.compile(rb"""<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(/?)>""")


class XmlRefused(ValueError):
    """The XML is malformed, declares a DTD, or is not what a workbook part should be."""


def _refuse_doctype(*_args: object) -> int:
    raise XmlRefused("a document type declaration (DTD), which workbook parts never have")


def make_parser() -> expat.XMLParserType:
    """An expat parser that splits names as 'uri local prefix' and refuses any DTD."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.namespace_prefixes = True
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.ExternalEntityRefHandler = _refuse_doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    return parser


def split_name(name: str) -> tuple[str, str, str]:
    """'uri local prefix' -> (uri, local, prefix); names without a namespace -> ('', name, '')."""
    parts = name.split(" ")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return parts[0], parts[1], ""
    return parts[0], parts[1], parts[2]


def tag_end(data: bytes, start: int) -> tuple[int, bool]:
    """(offset just past the start tag at `start`, whether it is an empty element `<a/>`)."""
    match = _TAG_END.match(data, start)
    if match is None:
        raise XmlRefused(f"an unreadable tag at byte {start}")
    return match.end(), bool(match.group(1))


def check_well_formed(data: bytes) -> None:
    """Raise XmlRefused unless `data` is well-formed XML without a DTD (C speed)."""
    parser = make_parser()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XmlRefused(str(exc)) from None


@dataclass(eq=False)
class Node:
    """An element with where it sits in the bytes it was parsed from (end exclusive)."""

    ns: str
    name: str
    prefix: str
    attrs: dict[str, str]
    start: int
    inner_start: int = 0
    inner_end: int = 0
    end: int = 0
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrs.get(key, default)

    def attr_local(self, local: str) -> str | None:
        """An attribute by local name in any namespace (r:id in transitional or Strict)."""
        for key, value in self.attrs.items():
            if key == local or key.split(" ")[1:2] == [local]:
                return value
        return None

    def find(self, name: str) -> Node | None:
        return next((c for c in self.children if c.name == name), None)

    def findall(self, name: str) -> list[Node]:
        return [c for c in self.children if c.name == name]

    @property
    def qname(self) -> str:
        return f"{self.prefix}:{self.name}" if self.prefix else self.name


def parse_tree(data: bytes, *, max_depth: int = 64) -> Node:
    """The whole part as a light tree with byte offsets (for small parts: styles, rels...).

    Elements deeper than `max_depth` are skipped (their ancestors still get their spans).
    """
    parser = make_parser()
    stack: list[Node] = []
    root: list[Node] = []
    texts: list[list[str]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= max_depth:
            stack.append(stack[-1])
            texts.append([])
            return
        ns, local, prefix = split_name(name)
        offset = parser.CurrentByteIndex
        inner, empty = tag_end(data, offset)
        node = Node(ns, local, prefix, attrs, offset, inner)
        if empty:
            node.inner_end = node.end = inner
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        texts.append([])

    def end(_name: str) -> None:
        node = stack.pop()
        text = texts.pop()
        if len(stack) >= max_depth:
            return
        if node.end == 0:
            offset = parser.CurrentByteIndex
            node.inner_end = offset
            close = data.find(b">", offset)
            if close < 0:
                raise XmlRefused("an unclosed end tag")
            node.end = close + 1
        node.text = "".join(text)

    def chars(text: str) -> None:
        if texts:
            texts[-1].append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XmlRefused(str(exc)) from None
    if not root:
        raise XmlRefused("no root element")
    return root[0]


def root_declarations(data: bytes) -> bytes:
    """The namespace declarations on the root element, to wrap a fragment cut from the part."""
    pos = data.find(b"<")
    while pos >= 0 and data[pos + 1 : pos + 2] in (b"?", b"!"):
        pos = data.find(b"<", pos + 1)
    if pos < 0:
        return b""
    end, _empty = tag_end(data, pos)
    return b" ".join(
        re.findall(rb"""xmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""", data[pos:end])
    )


def splice(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """`data` with each (start, end, replacement) applied; spans must not overlap."""
    out: list[bytes] = []
    pos = 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < pos:
            raise ValueError("overlapping edits")
        out.append(data[pos:start])
        out.append(new)
        pos = end
    out.append(data[pos:])
    return b"".join(out)


def append_child(
    data: bytes, node: Node, new: bytes, *, start_tag: bytes | None = None
) -> list[tuple[int, int, bytes]]:
    """The splices that add `new` as `node`'s last child (and, given `start_tag`, replace
    its start tag); an empty `<x/>` is opened up into `<x>new</x>` first."""
    tag = data[node.start : node.inner_start] if start_tag is None else start_tag
    if node.end == node.inner_start:  # <x .../>
        head = tag[:-2].rstrip() + b">"
        return [(node.start, node.end, head + new + f"</{node.qname}>".encode())]
    edits = [(node.inner_end, node.inner_end, new)]
    if start_tag is not None:
        edits.insert(0, (node.start, node.inner_start, start_tag))
    return edits


def set_attr(tag: bytes, name: str, value: str | None) -> bytes:
    """A start tag (`<x:row r="3" ...>`) with one attribute set, replaced or removed."""
    pattern = re.compile(
        rb"""(\s)""" + re.escape(name.encode()) + rb"""\s*=\s*(?:"[^"]*"|'[^']*')"""
    )
    if value is None:
        return pattern.sub(b"", tag, count=1)
    new = f'{name}="{attr_escape(value)}"'.encode()
    if pattern.search(tag):
        return pattern.sub(lambda m: m.group(1) + new, tag, count=1)
    close = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:close].rstrip() + b" " + new + tag[close:]


def attr_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def text_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
