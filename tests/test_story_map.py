"""The story map: points found from the corpus, each answered by every article, disagreements first,
every cell cited verbatim, exports (its cache, pins and background builds: test_map_service.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from assistant import Assistant
from assistant.caches import Caches
from assistant.cli import main
from assistant.render import map_html, map_markdown, map_plain

RULES = {
    r"how long": (r"months", r"(over a period of )?\w+ months"),
    r"who is accused|blamed": (r"Northwind|Southgate", r"Northwind Ltd|Southgate Systems"),
    r"paid for|pay for": (r"£", r"£2 million"),
    r"event this article reports": (r"water", r"intrusion into the water system|water hack|water system"),
}


@pytest.fixture
def model(rule_model):
    return rule_model(RULES)


@pytest.fixture
def assistant(corpus_dir, cache, model):
    return Assistant(corpus_dir, backend=model, cache_dir=cache)


def test_points_become_rows_answered_by_each_article_disagreements_first(assistant):
    story_map = assistant.story_map()
    questions = [r.question for r in story_map.rows]
    assert story_map.points[:2] == [
        "Who is accused of or blamed for the intrusion?",
        "Who made the accusation about the intrusion?",
    ]
    assert "What did Ada Vance say?" in story_map.points  # the person the articles quote
    assert set(questions) == {
        "Who is accused of or blamed for the intrusion?",
        "How long did the intrusion go on?",
    }  # the points no article answers give no row
    assert [r.disagree for r in story_map.rows] == [True, True]
    how_long = next(r for r in story_map.rows if r.question.startswith("How long"))
    assert how_long.cell("a_wire").answer == "over a period of eighteen months"
    assert how_long.cell("b_daily").answer == "several months" and how_long.cell("c_blog") is None
    assert sorted(a for a, _ in how_long.positions) == ["over a period of eighteen months", "several months"]
    texts = {d.doc_id: d.text for d in assistant.corpus}
    for row in story_map.rows:
        for cell in row.cells:
            c = cell.citation
            assert texts[c.doc_id][c.start : c.end] == c.quote and cell.answer in c.quote and c.doc_id == cell.doc_id
    assert [t for _, t in story_map.columns] == [d.title for d in assistant.corpus]


def test_exports_escape_what_came_from_articles_and_name_articles_by_headline(assistant):
    story_map = assistant.story_map()
    row = story_map.rows[0]
    cell = row.cells[0]
    row.cells[0] = type(cell)(cell.doc_id, "<b>x</b> | [y](javascript:z)", cell.citation, cell.position, cell.relation)
    md, page = map_markdown(story_map), map_html(story_map)
    assert "<b>" not in md and "\\|" in md and "\\[y\\]" in md
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page and 'href="#mapsrc-' in page
    assert 'id="mapsrc-' in page and "disagree" in page
    lines = list(csv.reader(io.StringIO(story_map.to_csv())))
    assert lines[0][2:] == [t for _, t in story_map.columns] and len(lines) == len(story_map.rows) + 1
    assert "[DISAGREE]" in map_plain(story_map)


def test_the_event_is_the_noun_most_articles_name_and_otherwise_the_incident(corpus_dir, cache, rule_model):
    from assistant.story_map import story_event

    vague = rule_model({r"event this article reports": (r"water", r"officials said|boil their water")})
    for model, event in (
        (rule_model(RULES), "the intrusion"),
        (rule_model({}), "the incident"),
        (vague, "the incident"),
    ):
        a = Assistant(corpus_dir, backend=model, cache_dir=cache)
        assert story_event(a.index, model, a.encoder, a.settings, Caches()) == event


def test_the_map_command_prints_json_csv_and_pins(corpus_dir, cache, monkeypatch, capsys, model):
    from assistant import api

    monkeypatch.setattr(api, "make_backend", lambda **kw: model)
    assert (
        main(["map", "--json", "--corpus", str(corpus_dir), "--pin", "How much did the council pay for repairs?"]) == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["rows"][0]["question"] == "How much did the council pay for repairs?" and d["rows"][0]["pinned"]
    assert {c["doc_id"] for c in d["columns"]} == {"a_wire", "b_daily", "c_blog"}
    assert all(row["cells"] for row in d["rows"])
    assert main(["map", "--csv", "--corpus", str(corpus_dir)]) == 0
    assert capsys.readouterr().out.startswith("question,disagree,")
