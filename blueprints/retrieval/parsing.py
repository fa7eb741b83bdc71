"""Documents to plain text: text, Markdown, HTML and PDF, with the checks that keep bad input out of an index."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import PurePosixPath

from blueprints.retrieval.errors import RetrievalError

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""Refused above this size: a bigger file is almost always an export or an archive, not a document."""
TEXT_SUFFIXES = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html",
                 ".htm": "html", ".pdf": "pdf"}


def kind_of(name: str) -> str | None:
    """The parser for a file name, or None for a file ingestion skips."""
    return TEXT_SUFFIXES.get(PurePosixPath(name).suffix.lower())


class _HtmlText(HTMLParser):
    """Visible text of an HTML page: script, style and head contents dropped, block elements on their own lines."""

    SKIP = {"script", "style", "head", "noscript", "template"}
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _decode(name: str, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise RetrievalError(f"{name}: binary content (NUL bytes) in a text document; allowed: UTF-8 text, "
                             "Markdown, HTML, PDF")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RetrievalError(f"{name}: not UTF-8 text (byte {error.start}); allowed: UTF-8 text, Markdown, HTML, "
                             "PDF") from None


def _pdf(name: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as error:
        raise RetrievalError(f"{name}: unreadable PDF ({error})") from None


MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MARKDOWN_MARKS = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")


def _markdown(text: str) -> str:
    """Markdown keeps its words: fences, heading/list/quote marks and link targets are dropped."""
    lines = [MARKDOWN_MARKS.sub("", line) for line in text.splitlines() if not line.lstrip().startswith("```")]
    return MARKDOWN_LINK.sub(r"\1", "\n".join(lines))


def parse(name: str, data: bytes, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The text of document `name`, or a RetrievalError naming the document and why it is refused."""
    kind = kind_of(name)
    if kind is None:
        raise RetrievalError(f"{name}: unsupported document type; allowed: {', '.join(sorted(TEXT_SUFFIXES))}")
    if len(data) > max_bytes:
        raise RetrievalError(f"{name}: {len(data)} bytes, more than the {max_bytes} allowed per document")
    if kind == "pdf":
        if not data.startswith(b"%PDF-"):
            raise RetrievalError(f"{name}: not a PDF (no %PDF- header)")
        text = _pdf(name, data)
    else:
        text = _decode(name, data)
        if kind == "html":
            html = _HtmlText()
            html.feed(text)
            text = "".join(html.parts)
        elif kind == "markdown":
            text = _markdown(text)
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    text = "\n".join(part for part in text.split("\n") if part)
    if not text.strip():
        raise RetrievalError(f"{name}: empty document (no text after parsing)")
    return text
