"""Parsing and chunking of the document types ingestion accepts, and the refusals of bad input."""

from __future__ import annotations

import pytest

from blueprints.retrieval.assembly import assemble, count_tokens
from blueprints.retrieval.chunking import chunk
from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.parsing import parse
from blueprints.retrieval.store import Hit

# A one-page PDF 1.4 written by hand (catalog, pages, page, Helvetica, one text object), with its xref table.
_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >>",
    None,
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]


def _pdf(text: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = list(_OBJECTS)
    objects[3] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_each_document_type_becomes_its_visible_text() -> None:
    html = b"<html><head><title>T</title><style>p{}</style></head><body><h1>Budgets</h1><script>x()</script>" \
           b"<p>Keys have budgets &amp; limits.</p></body></html>"
    assert parse("a.html", html) == "Budgets\nKeys have budgets & limits."
    markdown = b"# Rollback\n\n- Switch the [alias](https://x.example) back.\n```\ncode\n```\n"
    assert parse("a.md", markdown) == "Rollback\nSwitch the alias back.\ncode"
    assert parse("a.txt", "caf\u00e9  au   lait\n".encode()) == "caf\u00e9 au lait"
    assert parse("a.pdf", _pdf("Karpenter provisions GPU nodes")) == "Karpenter provisions GPU nodes"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.txt", b"  \n\n ", "empty.txt: empty document"),
    ("blob.txt", b"abc\x00\x01\x02", "blob.txt: binary content"),
    ("latin.txt", "caf\u00e9".encode("latin-1"), "latin.txt: not UTF-8 text"),
    ("big.txt", b"a " * 600, "big.txt: 1200 bytes, more than the 1000 allowed"),
    ("fake.pdf", b"hello", "fake.pdf: not a PDF"),
    ("broken.pdf", b"%PDF-1.4\nnot really", "broken.pdf: unreadable PDF"),
    ("image.png", b"\x89PNG", "image.png: unsupported document type"),
])
def test_bad_documents_are_refused_naming_the_document(name: str, data: bytes, message: str) -> None:
    with pytest.raises(RetrievalError, match=message):
        parse(name, data, max_bytes=1000)


def test_chunks_respect_size_and_overlap_at_sentence_ends() -> None:
    sentences = [f"Sentence {n} has exactly six words." for n in range(10)]
    chunks = chunk(" ".join(sentences), size=18, overlap=6)
    assert [c.text for c in chunks][:2] == [" ".join(sentences[0:3]), " ".join(sentences[2:5])]
    assert all(len(c.text.split()) <= 18 for c in chunks)
    assert chunks[-1].text.endswith(sentences[-1]) and [c.index for c in chunks] == list(range(len(chunks)))
    long_sentence = " ".join(["word"] * 25)
    assert [len(c.text.split()) for c in chunk(long_sentence, size=10, overlap=0)] == [10, 10, 5]
    with pytest.raises(ValueError, match="overlap 10"):
        chunk("x", size=10, overlap=10)


def test_context_stays_within_the_token_budget_and_cites_each_passage() -> None:
    hits = [Hit("a.md", 0, "alpha " * 30, "a.md", 0.9), Hit("b.md", 1, "beta " * 200, "b.md", 0.8),
            Hit("c.md", 2, "gamma delta", "c.md", 0.7)]
    context = assemble(hits, budget=100)
    assert context.tokens == count_tokens(context.text) <= 100
    assert [c["chunk_id"] for c in context.citations] == ["a.md#0", "c.md#2"]
    assert '<document n="1" source="a.md">\nalpha' in context.text
    assert '<document n="2" source="c.md">\ngamma delta\n</document>' in context.text
