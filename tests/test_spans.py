from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.config import default_corpus_dir
from assistant.corpus import load_corpus
from assistant.spans import document_spans, split_sentences
from assistant.types import Document


def test_offsets_exact_on_non_ascii_seed_corpus():
    corpus = load_corpus(default_corpus_dir())
    for doc in corpus:
        spans = document_spans(doc)
        assert spans
        for span in spans:
            assert doc.text[span.start : span.end] == span.text
            assert span.text == span.text.strip()


def test_pound_sign_and_curly_quotes_offsets():
    text = "It cost £200 million, the “source” said. Then it ended.\nNext para’s line."
    spans = document_spans(Document("d", text))
    assert [s.text for s in spans] == [
        "It cost £200 million, the “source” said.",
        "Then it ended.",
        "Next para’s line.",
    ]
    assert [s.paragraph for s in spans] == [0, 0, 1]


def test_abbreviations_and_initials_do_not_split():
    text = "Dr. Eleanor Marsh met J. Smith at St. Paul’s. They left."
    assert [text[s:e] for _, s, e in split_sentences(text)] == [
        "Dr. Eleanor Marsh met J. Smith at St. Paul’s.",
        "They left.",
    ]


def test_quoted_speech_stays_with_its_speaker():
    text = 'The CEO said: "This is bad. We will fight." Shares fell.'
    assert [text[s:e] for _, s, e in split_sentences(text)] == [
        'The CEO said: "This is bad. We will fight."',
        "Shares fell.",
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('ab C.!?\n“”"’£ 1') + ["Dr. ", " x", "U.S. ", "\r\n"]), max_size=80).map("".join))
def test_spans_are_exact_ordered_and_disjoint(text):
    previous_end = 0
    for _, start, end in split_sentences(text):
        assert 0 <= previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and "\n" not in piece
        previous_end = end


def test_a_quotation_continued_after_its_attribution_stays_with_it():
    text = "“It is bad,” said a spokesperson. “The risk is real.” Shares fell."
    assert [text[s:e] for _, s, e in split_sentences(text)] == [
        "“It is bad,” said a spokesperson. “The risk is real.”",
        "Shares fell.",
    ]


def test_paragraph_bounds_whole_line_or_trimmed_at_word_boundaries():
    from assistant.text import paragraph_bounds

    text = (
        "intro line\n"
        + " ".join(f"w{i}" for i in range(200))
        + " QUOTE HERE "
        + " ".join(f"v{i}" for i in range(200))
        + "\nnext"
    )
    start = text.index("QUOTE HERE")
    end = start + len("QUOTE HERE")
    assert paragraph_bounds(text, start, end) == (len("intro line\n"), text.index("\nnext"))
    p0, p1 = paragraph_bounds(text, start, end, reach=50)
    assert start - 50 <= p0 <= start and end <= p1 <= end + 50
    assert text[p0 - 1] == " " and text[p1] == " "  # whole words only
    assert paragraph_bounds("a\nshort quote here\nb", 2, 7, reach=50) == (2, 18)  # short paragraphs stay whole
