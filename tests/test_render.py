from assistant.compose import not_answered
from assistant.question import parse_question
from assistant.render import answer_markdown, answer_plain, articles_html, chat_html, conflicts_html, sources_html
from assistant.types import Answer, Citation, Conflict, Corpus, Document, Position

TEXT = "Intro line.\nThe hack lasted <eighteen> months, said “officials”. More.\nLast."
CORPUS = Corpus("mem", (Document("d1", TEXT), Document("d2", "It lasted several months.")))
Q1 = "The hack lasted <eighteen> months, said “officials”."


def _answer():
    s = TEXT.find(Q1)
    return Answer(
        "How long?",
        "The sources disagree. One says “<eighteen> months” [1]. One says “several months” [2].",
        True,
        [Citation(1, "d1", s, s + len(Q1), Q1), Citation(2, "d2", 0, 25, "It lasted several months.")],
        [
            Conflict(
                "how long", (Position("<eighteen> months", (1,), ("d1",)), Position("several months", (2,), ("d2",)))
            )
        ],
        model="m",
    )


def test_markers_become_links_and_text_is_escaped():
    out = chat_html(_answer(), rewritten="How long did the <hack> last?")
    assert '<a href="#cite-1" class="cite"' in out and "&lt;eighteen&gt;" in out and "<eighteen>" not in out
    assert "Interpreted as" in out and "&lt;hack&gt;" in out


def test_sources_show_the_quote_highlighted_in_its_paragraph():
    out = sources_html(_answer(), CORPUS)
    assert 'id="src-1"' in out and 'id="src-2"' in out
    body = out.split('id="src-1"')[1].split('<p class="src-body">')[1].split("</p>")[0]
    assert (
        body.startswith("<mark>The hack lasted &lt;eighteen&gt; months")
        and body.endswith("More.")
        and "Intro line" not in body
    )


def test_conflict_panel_has_one_column_per_position_with_quotes():
    out = conflicts_html(_answer(), CORPUS)
    assert out.count('class="position"') == 2 and "<blockquote>" in out and "Sources disagree: how long" in out
    assert conflicts_html(Answer("q", "t", True), CORPUS) == ""


def test_refusal_is_plain_and_cites_nothing():
    refusal = not_answered(parse_question("When?"))
    assert refusal.text in chat_html(refusal) and 'class="refusal"' in chat_html(refusal)
    assert "cite" not in chat_html(refusal)
    assert "No passage is cited" in sources_html(refusal, CORPUS)


def test_markdown_export_and_plain_text_carry_citations_and_disagreement():
    md = answer_markdown(_answer())
    assert md.startswith("# How long?") and "| &lt;eighteen&gt; months | d1 | \\[1\\] |" in md and "\\[2\\] d2" in md
    plain = answer_plain(_answer())
    assert "Sources disagree: how long" in plain and "[1] d1" in plain and "Sources" in plain


def test_article_list_shows_name_and_size():
    out = articles_html(CORPUS)
    assert "2 articles" in out and "<code>d1</code>" in out and "KB" in out


def test_article_list_names_what_was_not_counted():
    corpus = Corpus("mem", CORPUS.documents, skipped=("d1-2: the same text as d1, counted once", "<x>: links outside"))
    out = articles_html(corpus)
    assert "2 articles" in out and "Not counted" in out and "d1-2: the same text as d1" in out and "&lt;x&gt;" in out
    assert "Not counted" not in articles_html(CORPUS)


def test_markdown_export_is_inert_and_says_a_refusal_once():
    import re

    hostile = (
        "Click [here](javascript:alert(1)) or <javascript:alert(2)> <img src=x onerror=alert(3)> ![i](http://x/p.png)"
    )
    answer = Answer(
        hostile,
        f"One article says “{hostile}” [1].",
        True,
        [Citation(1, "d|1", 0, len(hostile), hostile)],
        [],
        model="m",
    )
    md = answer_markdown(answer)
    assert "<img" not in md and "<javascript" not in md
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", md)  # no [text](target) link or image survives
    assert "d\\|1" in md  # a pipe in a name cannot split a table cell
    refusal = answer_markdown(Answer("When?", "The articles do not say. None of them answers this question.", False))
    assert refusal.count("do not say") + refusal.count("don’t say") == 1


def test_opinion_quotes_are_marked_everywhere_and_reported_ones_are_not():
    from dataclasses import replace

    answer = _answer()
    answer.citations = [replace(answer.citations[0], stance="opinion"), replace(answer.citations[1], stance="reported")]
    page = sources_html(answer, CORPUS)
    assert page.count('class="stance-opinion"') == 1 and page.index("stance-opinion") < page.index('id="src-2"')
    assert answer_plain(answer).count("(opinion)") == 1 and answer_markdown(answer).count("_(opinion)_") == 1
    assert "stance-opinion" not in sources_html(_answer(), CORPUS)


def _at_scale() -> Answer:
    """A disagreement at scale: 11 articles hold the first position (one quoted), 1 the second."""
    answer = _answer()
    many = Position("<eighteen> months", (1,), ("d1", *(f"u{i}" for i in range(10))), 11)
    answer.conflicts = [Conflict("how long", (many, answer.conflicts[0].positions[1]))]
    return answer


def test_every_display_of_a_disagreement_says_how_many_articles_hold_each_position():
    page = conflicts_html(_at_scale(), CORPUS)
    assert "Position 1 · 11 articles" in page and "Position 2 · 1 article<" in page
    assert page.count('class="position-more"') == 1 and "and 10 more articles that hold it" in page
    md = answer_markdown(_at_scale())
    assert "| Position | Articles | Citations | Count |" in md
    assert "| &lt;eighteen&gt; months | d1 and 10 more | \\[1\\] | 11 articles |" in md
    assert "| several months | d2 | \\[2\\] | 1 article |" in md
    plain = answer_plain(_at_scale())
    assert "| d1 and 10 more | [1]   | 11 articles |" in plain and "| d2             | [2]   | 1 article   |" in plain


def test_sources_list_each_cited_article_once_by_name_with_its_file_name():
    lede = "In a dramatic escalation of tensions, the firm has accused a rival of a heist. It lasted months.\nMore."
    corpus = Corpus(
        "mem",
        (
            Document("01_coastwire", "Leak forces <mass> evacuation\nIt lasted nine hours.", "/c/01_coastwire.txt"),
            Document("003_e196f24e958adc79", lede, "/c/003_e196f24e958adc79.txt"),
        ),
    )
    lede_cites = [(1, lede.index("In a"), lede.index(" It")), (3, lede.index("It"), lede.index("\n"))]
    citations = [Citation(n, "003_e196f24e958adc79", s, e, lede[s:e]) for n, s, e in lede_cites]
    citations.insert(1, Citation(2, "01_coastwire", 30, 51, "It lasted nine hours."))
    answer = Answer("How long?", "Months [1][3]; nine hours [2].", True, citations)
    page = sources_html(answer, corpus)
    assert page.count('class="src-title"') == 2 and page.count('class="src"') == 3
    assert '"src-title">Article 1</span> <code class="src-doc">003_e196f24e958adc79.txt</code>' in page
    assert '"src-title">Leak forces &lt;mass&gt; evacuation</span> <code class="src-doc">01_coastwire.txt' in page
    assert page.index('id="src-3"') < page.index("01_coastwire.txt")  # [3] sits under its article, named once
    md = answer_markdown(answer, corpus=corpus)
    assert md.count("### ") == 2 and "### Article 1 (003_e196f24e958adc79.txt)\n\n\\[1\\] (characters 0–" in md
    assert "### Leak forces &lt;mass&gt; evacuation (01_coastwire.txt)" in md
    plain = answer_plain(answer, corpus=corpus)
    assert plain.count("Article 1 (003_e196f24e958adc79.txt)") == 1 and plain.count("01_coastwire") == 1
    assert " [3] (characters" in plain and "(01_coastwire.txt)\n [2] (characters 30–51)" in plain


def test_a_disagreement_table_names_its_articles_as_the_sources_do_never_by_file_id():
    plain, md = answer_plain(_answer(), corpus=CORPUS), answer_markdown(_answer(), corpus=CORPUS)
    for out in (plain, md):
        start = out.index("Sources disagree")
        table = out[start : out.index("Sources\n", start + 20)]  # the heading and its table, up to the sources
        assert "Article 1" in table and "Article 2" in table and "d1" not in table and "d2" not in table
