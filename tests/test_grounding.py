from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.grounding import Citations, verify_citation
from assistant.spans import document_spans
from assistant.types import Citation, Corpus, Document, Span

TEXT = "Hackers took £2 million. The firm said it was “baseless”. Nobody was arrested."
CORPUS = Corpus("mem", (Document("doc", TEXT),))


def test_real_spans_become_verbatim_citations():
    cites = Citations(CORPUS)
    spans = document_spans(CORPUS["doc"])
    assert [cites.cite(s) for s in spans] == [1, 2, 3]
    for c in cites.citations:
        assert TEXT[c.start : c.end] == c.quote and verify_citation(CORPUS, c)


def test_same_span_gets_one_number():
    cites = Citations(CORPUS)
    span = document_spans(CORPUS["doc"])[1]
    assert cites.cite(span) == cites.cite(span) == 1


def test_forged_or_misplaced_spans_are_dropped():
    cites = Citations(CORPUS)
    forged = Span("doc", 0, 0, 0, 10, "Hackers stole")
    shifted = Span("doc", 0, 0, 1, 11, TEXT[0:10])
    unknown = Span("elsewhere", 0, 0, 0, 5, "Hacke")
    assert cites.cite(forged) is None
    assert cites.cite(shifted) is None
    assert cites.cite(unknown) is None
    assert cites.citations == []


@settings(max_examples=400, deadline=None)
@given(
    doc=st.sampled_from(["doc", "other"]),
    start=st.integers(-5, len(TEXT) + 5),
    length=st.integers(-3, 40),
    quote=st.one_of(st.none(), st.text(max_size=20)),
)
def test_no_citation_leaves_unless_verbatim(doc, start, length, quote):
    end = start + length
    text = quote if quote is not None else TEXT[max(0, start) : max(0, end)]
    cites = Citations(CORPUS)
    cites.cite(Span(doc, 0, 0, start, end, text))
    for c in cites.citations:
        assert c.doc_id == "doc" and 0 <= c.start < c.end <= len(TEXT) and TEXT[c.start : c.end] == c.quote


@settings(max_examples=200, deadline=None)
@given(start=st.integers(0, len(TEXT)), end=st.integers(0, len(TEXT)))
def test_verify_citation_is_exactly_the_slice_check(start, end):
    c = Citation(1, "doc", start, end, TEXT[start:end])
    assert verify_citation(CORPUS, c) == (start < end)
