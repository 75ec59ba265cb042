"""The on-disk store updated per article: BM25 from stored statistics is bm25s's, and a store brought through
any sequence of additions, edits and removals (compacted or not) answers exactly as one built from scratch."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from conftest import ARTICLES, HashEncoder
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.bm25 import BM25
from assistant.corpus import load_corpus
from assistant.index import load_or_build
from assistant.index_store import read_state
from assistant.question import parse_question
from assistant.retrieve import retrieve
from assistant.settings import FilesStoreSettings, RetrievalSettings
from assistant.text import analyze

QUESTIONS = [
    "Who was behind the water hack?",
    "How long did the intrusion into the water system last?",
    "What did the repairs cost?",
    "When were the pumps replaced?",
]
# Every sentence scored (the default for a small store), and the best 3 of each signal only (a large store).
RETRIEVALS = [RetrievalSettings(), RetrievalSettings(exhaustive_below=0, candidates=3)]
NEVER = FilesStoreSettings(compact_share=1.1)  # masked rows are never compacted away
ALWAYS = FilesStoreSettings(compact_share=0.0)  # ... compacted at every update that masks any

EXTRA = {
    "d_pumps": "Engineers replaced the pumps in March. The vote was close.\nNorthwind paid for the pumps.\n",
    "e_copy": ARTICLES["a_wire"].replace("eighteen months", "two years"),  # wire copy: sentences repeated exactly
    "f_short": "Water.\n\nThe hack lasted months, the council said.\n",
}
TEXTS = list(ARTICLES.values()) + list(EXTRA.values())


def _write(directory: Path, articles: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.txt"):
        if old.stem not in articles:
            old.unlink()
    for name, text in articles.items():
        path = directory / f"{name}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def _evidence(index, encoder) -> list:
    out = []
    for retrieval in RETRIEVALS:
        for question in QUESTIONS:
            r = retrieve(index, parse_question(question), encoder, retrieval)
            out.append([(e.doc_id, e.span.start, e.span.end, e.score) for e in r.evidence])
            out.append(sorted(r.scores.items()))
    return out


def _statistics(index, grain: str) -> dict:
    bm25 = getattr(index, f"{grain}_bm25")
    return {
        "df": {t: int(bm25.df[i]) for t, i in bm25.term_ids.items() if bm25.df[i]},
        "n": bm25.n,
        "avgdl": bm25.avgdl,
    }


def _recounted(index, grain: str) -> dict:
    """The statistics counted afresh from the texts of the index's rows."""
    texts = [s.text for s in index.spans]
    if grain == "paragraph":
        texts = [index.corpus[p.doc_id].text[p.start : p.end] for p in index.paragraphs]
    analysed = [analyze(t) for t in texts]
    df = Counter(term for terms in analysed for term in set(terms))
    return {"df": dict(df), "n": len(texts), "avgdl": sum(map(len, analysed)) / len(texts) if texts else 0.0}


def assert_same(updated, scratch, encoder) -> None:
    """Everything retrieval reads, and what it retrieves (ids, offsets, scores), exactly equal."""
    assert list(updated.spans) == list(scratch.spans) and list(updated.paragraphs) == list(scratch.paragraphs)
    for name in ("sentence_vectors", "paragraph_vectors", "vocabulary_vectors", "span_paragraph"):
        assert np.array_equal(getattr(updated, name), getattr(scratch, name)), name
    assert updated.vocabulary == scratch.vocabulary and updated.key == scratch.key
    for grain in ("sentence", "paragraph"):
        assert _statistics(updated, grain) == _statistics(scratch, grain) == _recounted(scratch, grain)
    assert _evidence(updated, encoder) == _evidence(scratch, encoder)


def _scratch(directory: Path, encoder):
    with tempfile.TemporaryDirectory() as cache:
        return load_or_build(load_corpus(directory), Path(cache), encoder)[0]


def test_bm25_from_stored_statistics_is_bm25s_exactly():
    import bm25s

    from assistant.text import stemmer

    texts = [t for text in TEXTS for t in text.replace("\n", " ").split(". ")]
    reference = bm25s.BM25()
    reference.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), show_progress=False), show_progress=False)
    analysed = [analyze(t) for t in texts]
    term_ids = {t: i for i, t in enumerate(sorted({t for a in analysed for t in a}))}
    df = Counter(t for a in analysed for t in set(a))
    entries = np.array([(row, term_ids[t], n) for row, a in enumerate(analysed) for t, n in Counter(a).items()])
    ours = BM25.from_entries(
        term_ids,
        np.array([df[t] for t in term_ids]),
        sum(map(len, analysed)),
        np.array([len(a) for a in analysed]),
        entries,
    )
    for terms in (["water"], ["northwind", "hack", "month"], ["council", "council"], ["nothing-matches"]):
        expected = np.zeros(len(texts), dtype=np.float32)
        for term in terms:
            if term in reference.vocab_dict:
                expected += 0.5 * reference.get_scores([term])
        assert np.array_equal(ours.scores(terms, [0.5] * len(terms)), expected), terms


def test_adding_editing_and_removing_one_article_at_a_time_equals_a_build_from_scratch(tmp_path):
    encoder, articles = HashEncoder(), tmp_path / "articles"
    _write(articles, ARTICLES)
    for store in (NEVER, ALWAYS):
        cache = tmp_path / f"cache-{store.compact_share}"
        load_or_build(load_corpus(articles), cache, encoder, settings=store)
        steps = [
            ARTICLES | {"d_pumps": EXTRA["d_pumps"]},  # add
            ARTICLES | {"d_pumps": EXTRA["d_pumps"], "b_daily": EXTRA["f_short"]},  # edit
            {"d_pumps": EXTRA["d_pumps"], "b_daily": EXTRA["f_short"], "c_blog": ARTICLES["c_blog"]},  # remove
            {"d_pumps": EXTRA["d_pumps"], "c_blog": ARTICLES["c_blog"], "e_copy": EXTRA["e_copy"]},
        ]
        for step in steps:
            _write(articles, step)
            updated, built = load_or_build(load_corpus(articles), cache, encoder, settings=store)
            assert built
            assert_same(updated, _scratch(articles, encoder), encoder)
        _write(articles, ARTICLES)


def test_an_update_appends_the_changed_article_alone_and_masks_its_old_rows(tmp_path):
    encoder, articles = HashEncoder(), tmp_path / "articles"
    _write(articles, ARTICLES)
    index, _ = load_or_build(load_corpus(articles), tmp_path, encoder, settings=NEVER)
    sizes = {p.name: p.stat().st_size for p in index.directory.glob("*.bin")}
    encoder.texts.clear()
    _write(articles, ARTICLES | {"c_blog": "Southgate Systems denied any role.\n"})
    edited, _ = load_or_build(load_corpus(articles), tmp_path, encoder, settings=NEVER)
    assert [t for t in encoder.texts if " " in t] == ["Southgate Systems denied any role."]
    grown = {p.name: p.stat().st_size - sizes[p.name] for p in edited.directory.glob("*.bin")}
    assert grown["1.sentence_vectors.bin"] == 1 * encoder.dimensions * 4  # one sentence appended, nothing rewritten
    assert grown["1.sentence_rows.bin"] == 5 * 4
    state = read_state(edited.directory)
    assert state.rows["sentences"] == len(index.spans) + 1 and state.live("sentences") == len(edited.spans)
    assert state.masked_share() == 2 / (len(index.spans) + 1)  # c_blog's two old sentences


def test_compaction_rewrites_the_live_rows_under_a_new_base_once_the_masked_share_is_reached(tmp_path):
    encoder, articles = HashEncoder(), tmp_path / "articles"
    _write(articles, ARTICLES)
    store = FilesStoreSettings(compact_share=0.3)
    first, _ = load_or_build(load_corpus(articles), tmp_path, encoder, settings=store)
    _write(articles, ARTICLES | {"c_blog": "Southgate Systems denied any role.\n"})  # 2 of 9 rows masked: kept
    load_or_build(load_corpus(articles), tmp_path, encoder, settings=store)
    assert read_state(first.directory).base == 1 and read_state(first.directory).masked_share() > 0
    _write(articles, ARTICLES | {"c_blog": "Denied.\n", "b_daily": "Nothing.\n"})  # past 0.3: compacted
    compacted, _ = load_or_build(load_corpus(articles), tmp_path, encoder, settings=store)
    state = read_state(compacted.directory)
    assert state.base == 2 and state.masked_share() == 0 and state.rows["sentences"] == len(compacted.spans)
    assert {p.name.split(".")[0] for p in compacted.directory.glob("*.bin")} == {"2"}  # the old base is gone
    assert len(state.terms) == len(_recounted(compacted, "sentence")["df"] | _recounted(compacted, "paragraph")["df"])
    assert_same(compacted, _scratch(articles, encoder), encoder)


@settings(max_examples=25, deadline=None)
@given(
    steps=st.lists(
        st.dictionaries(
            st.sampled_from(["a", "b", "c", "d", "e"]), st.sampled_from(range(len(TEXTS))), min_size=1, max_size=5
        ),
        min_size=1,
        max_size=5,
    ),
    share=st.sampled_from([0.0, 0.2, 0.5, 1.1]),
)
def test_any_sequence_of_edits_answers_as_a_build_from_scratch(steps, share):
    """Each step is the whole corpus (name -> text): from one step to the next articles appear, change, vanish,
    or repeat another's sentences (ties)."""
    encoder = HashEncoder()
    with tempfile.TemporaryDirectory() as tmp:
        articles, cache = Path(tmp) / "articles", Path(tmp) / "cache"
        for step in steps:
            _write(articles, {name: f"{TEXTS[i]}\nThis is article {name}.\n" for name, i in step.items()})
            updated, _ = load_or_build(load_corpus(articles), cache, encoder, settings=FilesStoreSettings(share))
        assert_same(updated, _scratch(articles, encoder), encoder)


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after the step runs, no cleanup, no except clause catches it."""


def _kill_at(monkeypatch, step: int | None) -> dict:
    """Count the steps of a write (each column appended and flushed, each rename, each file removed) and
    raise Killed at ``step``."""
    import os

    from assistant import index_write

    seen = {"n": 0}

    def counted(original):
        def wrapped(*args, **kwargs):
            if seen["n"] == step:
                raise Killed
            seen["n"] += 1
            return original(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(index_write, "append", counted(index_write.append))
    monkeypatch.setattr(os, "replace", counted(os.replace))
    monkeypatch.setattr(Path, "unlink", counted(Path.unlink))
    return seen


CHANGES = {  # name -> (the corpus after the change, how it is written)
    "update": (ARTICLES | {"c_blog": EXTRA["f_short"], "d_pumps": EXTRA["d_pumps"]}, NEVER, False),
    "update and compaction": ({"a_wire": ARTICLES["a_wire"], "d_pumps": EXTRA["d_pumps"]}, ALWAYS, False),
    "rebuild": (ARTICLES | {"d_pumps": EXTRA["d_pumps"]}, NEVER, True),
}


def _killed_change(cache: Path, articles: Path, change: tuple, step: int | None, monkeypatch, encoder) -> tuple:
    """Build the store of ARTICLES, then write ``change`` killed at ``step`` (None: not killed). Returns the
    index before it and how many steps the write had run."""
    after, store, rebuild = change
    _write(articles, ARTICLES)
    before = load_or_build(load_corpus(articles), cache, encoder, settings=store)[0]
    _write(articles, after)
    with monkeypatch.context() as patched:
        seen = _kill_at(patched, step)
        try:
            load_or_build(load_corpus(articles), cache, encoder, rebuild=rebuild, settings=store)
        except Killed:
            pass
    return before, seen["n"]


def test_a_write_killed_at_any_step_leaves_a_store_that_opens_without_building(tmp_path, monkeypatch):
    encoder = HashEncoder()
    # What is written after the kill differs from what the killed write was writing: its leftovers are not
    # what the next write would have written anyway.
    later = {"a_wire": ARTICLES["a_wire"], "f_short": EXTRA["f_short"], "d_pumps": EXTRA["d_pumps"][::-1]}
    for name, change in CHANGES.items():
        after, store, _ = change
        articles = tmp_path / name / "articles"
        _write(articles, after)
        killed_key = _scratch(articles, encoder).key
        _write(articles, later)
        expected = _scratch(articles, encoder)
        _, steps = _killed_change(tmp_path / name / "whole", articles, change, None, monkeypatch, encoder)
        assert steps > 10, (name, steps)
        for step in range(steps):
            cache = tmp_path / name / f"cache-{step}"
            before, _ = _killed_change(cache, articles, change, step, monkeypatch, encoder)
            committed = read_state(before.directory)
            assert committed is not None and committed.key in (before.key, killed_key), (name, step)
            # Killed before its commit, the old store opens as it was; after it, the new one does.
            _write(articles, ARTICLES if committed.key == before.key else after)
            reopened, built = load_or_build(load_corpus(articles), cache, encoder, settings=store)
            assert not built and reopened.key == committed.key, (name, step)
            if committed.key == before.key:
                assert list(reopened.spans) == list(before.spans), (name, step)
            assert _bases(reopened) == {str(committed.base)}, (name, step)  # opening removed the killed write's files
            _write(articles, later)
            index, _ = load_or_build(load_corpus(articles), cache, encoder, settings=store)
            assert_same(index, expected, encoder)
            assert _bases(index) == {str(read_state(index.directory).base)}, (name, step)


def _bases(index) -> set[str]:
    return {p.name.split(".")[0] for p in index.directory.glob("*.bin")}
