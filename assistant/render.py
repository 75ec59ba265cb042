"""Answers rendered for people: chat HTML with clickable markers, the sources panel, the
disagreement panel, Markdown for export, and plain text for API clients.

Every string from an article, a question or the model is HTML-escaped here; markers become links
to the passage they cite (``#src-N``), which the page's script scrolls into view.
"""

from __future__ import annotations

import html
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from .text import MARKER as _MARKER
from .text import paragraph_bounds, quote_matches
from .types import Answer, Citation, Conflict, Corpus

if TYPE_CHECKING:
    from .story_map import StoryMap

__all__ = [
    "chat_html",
    "sources_html",
    "conflicts_html",
    "answer_markdown",
    "answer_plain",
    "articles_html",
    "map_markdown",
    "map_plain",
    "map_html",
]


def _linked(text: str) -> str:
    return _MARKER.sub(
        lambda m: f'<a href="#cite-{m.group(1)}" class="cite" data-cite="{m.group(1)}">[{m.group(1)}]</a>',
        html.escape(text),
    )


def _label(corpus: Corpus, doc_id: str) -> str:
    return corpus[doc_id].title if doc_id in corpus else doc_id


def _file_name(corpus: Corpus, doc_id: str) -> str:
    """The article's file name (its doc id with the file's extension), shown beside its name."""
    path = corpus[doc_id].path if doc_id in corpus else ""
    return doc_id + Path(path).suffix if path else doc_id


def _named(corpus: Corpus, doc_id: str) -> str:
    """How a list of sources names an article: "Article 3 (003_e196f24e958adc79.txt)", "Headline (file.md)"."""
    return f"{_label(corpus, doc_id)} ({_file_name(corpus, doc_id)})" if doc_id in corpus else doc_id


def _by_article(citations: list[Citation]) -> list[tuple[str, list[Citation]]]:
    """The citations under the article they quote: each cited article once, in the order first cited."""
    out: dict[str, list[Citation]] = {}
    for c in citations:
        out.setdefault(c.doc_id, []).append(c)
    return list(out.items())


def _listed(citations: list[Citation], corpus: Corpus | None) -> list[tuple[str, list[Citation]]]:
    """A list of sources: (the article's name and file name, its citations) per article with the ``corpus``;
    without it, ("", every citation): each citation then names its doc id itself."""
    if corpus is None:
        return [("", citations)]
    return [(_named(corpus, doc_id), cited) for doc_id, cited in _by_article(citations)]


def chat_html(answer: Answer, rewritten: str | None = None) -> str:
    """The assistant's chat message: the answer with clickable markers, or a plain refusal."""
    parts = []
    if rewritten:
        parts.append(f'<div class="rewrite">Interpreted as: <em>{html.escape(rewritten)}</em></div>')
    if not answer.answerable:  # the answer's own words (compose's refusal), said once
        parts.append(f'<p class="refusal">{html.escape(answer.text)}</p>')
        return "\n".join(parts)
    if answer.conflicts:
        parts.append('<p class="disagree-flag">⚠ Sources disagree: see the side-by-side panel.</p>')
    parts.append(f"<p>{_linked(answer.text)}</p>")
    return "\n".join(parts)


def _paragraph_with_mark(text: str, start: int, end: int) -> str:
    lo, hi = paragraph_bounds(text, start, end)
    return (
        html.escape(text[lo:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>" + html.escape(text[end:hi])
    ).strip()


def _opinion_badge(citation: Citation) -> str:
    """A mark on a quote that is the writer's own view, not reported fact (see stance.py)."""
    if citation.stance != "opinion":
        return ""
    return ' <span class="stance-opinion" title="the writer\'s own view, not reported fact">opinion</span>'


def sources_html(answer: Answer | None, corpus: Corpus) -> str:
    """Each cited article once, by name with its file name beside it, then each of its cited passages inside
    its paragraph, the quote highlighted; ``id="src-N"`` for the markers."""
    if answer is None or not answer.citations:
        msg = "No passage is cited: the articles don’t answer this."
        msg = "Cited passages appear here." if answer is None else msg
        return f'<div class="sources-empty">{msg}</div>'
    items = []
    for doc_id, cited in _by_article(answer.citations):
        text = corpus[doc_id].text if doc_id in corpus else ""
        passages = []
        for c in cited:
            verbatim = quote_matches(text, c.start, c.end, c.quote)
            body = _paragraph_with_mark(text, c.start, c.end) if verbatim else html.escape(c.quote)
            passages.append(
                f'<div class="src" id="src-{c.id}"><div class="src-head"><span class="src-n">[{c.id}]</span>'
                f'{_opinion_badge(c)}</div><p class="src-body">{body}</p></div>'
            )
        name, file = html.escape(_label(corpus, doc_id)), html.escape(_file_name(corpus, doc_id))
        head = f'<div class="src-head"><span class="src-title">{name}</span> <code class="src-doc">{file}</code></div>'
        items.append(f'<div class="src-article">{head}' + "\n".join(passages) + "</div>")
    return '<div class="sources">' + "\n".join(items) + "</div>"


def _articles(n: int) -> str:
    return f"{n} article{'s' if n != 1 else ''}"


def conflicts_html(answer: Answer | None, corpus: Corpus) -> str:
    """'Sources disagree': one column per position with its claim, its articles and their quotes."""
    if answer is None or not answer.conflicts:
        return ""
    quotes: Mapping[int, tuple[str, str]] = {c.id: (c.doc_id, c.quote) for c in answer.citations}
    blocks = []
    for conflict in answer.conflicts:
        columns = []
        for n, p in enumerate(conflict.positions, 1):
            cited = "".join(
                f'<li><a href="#cite-{i}" class="cite" data-cite="{i}">[{i}]</a> '
                f'<code class="src-doc">{html.escape(quotes[i][0])}</code>'
                f"<blockquote>{html.escape(quotes[i][1])}</blockquote></li>"
                for i in p.citations
                if i in quotes
            )
            quoted = len({quotes[i][0] for i in p.citations if i in quotes})
            more = p.count - quoted
            if more > 0:  # at scale: a few quotes stand for many articles
                cited += (
                    f'<li class="position-more">and {more} more article{"s" if more != 1 else ""} that hold it</li>'
                )
            columns.append(
                f'<div class="position"><div class="position-n">Position {n} · {_articles(p.count)}</div>'
                f'<div class="claim">“{html.escape(p.claim)}”</div><ul>{cited}</ul></div>'
            )
        blocks.append(
            f'<div class="conflict"><h3>Sources disagree: {html.escape(conflict.topic)}</h3>'
            f'<div class="positions">{"".join(columns)}</div></div>'
        )
    return "\n".join(blocks)


_MD_UNSAFE = {"\\": "\\\\", "[": "\\[", "]": "\\]", "<": "&lt;", ">": "&gt;", "&": "&amp;", "|": "\\|", "`": "\\`"}


def _md(text: str) -> str:
    """Article and question text made inert in Markdown: no raw HTML, no link, image or autolink
    (``[x](javascript:…)``, ``<javascript:…>``) can be formed from it, and it cannot break a table row."""
    return "".join(_MD_UNSAFE.get(ch, ch) for ch in text)


def answer_markdown(answer: Answer, rewritten: str | None = None, corpus: Corpus | None = None) -> str:
    """The answer as a Markdown document: question, answer, disagreement table, numbered quotes (with the
    ``corpus``, under each cited article's name and file name, each article once).

    Everything in it that came from a user or an article is escaped (``_md``); a refusal is the
    answer's own text, which already says the articles do not answer (never said twice)."""
    lines = [f"# {_md(answer.question)}", ""]
    if rewritten:
        lines += [f"_Interpreted as: {_md(rewritten)}_", ""]
    lines += [_md(answer.text), ""]
    for conflict in answer.conflicts:
        lines += [
            f"## Sources disagree: {_md(conflict.topic)}",
            "",
            "| Position | Articles | Citations | Count |",
            "|---|---|---|---|",
        ]
        for claim, articles, cited, count in _positions(conflict, answer.citations, corpus):
            lines.append(f"| {_md(claim)} | {_md(articles)} | {_md(cited)} | {count} |")
        lines.append("")
    if answer.citations:
        lines += ["## Sources", ""]
        for heading, cited in _listed(answer.citations, corpus):
            lines += [f"### {_md(heading)}", ""] if heading else []
            for c in cited:
                opinion = " _(opinion)_" if c.stance == "opinion" else ""
                where = "" if heading else f"{_md(c.doc_id)} "
                lines.append(f"\\[{c.id}\\] {where}(characters {c.start}–{c.end}){opinion}: “{_md(c.quote)}”")
                lines.append("")
    if answer.model:
        lines.append(f"_Answered by Storydesk with {_md(answer.model)}._")
    return "\n".join(lines).rstrip() + "\n"


def _positions(
    conflict: Conflict, citations: list[Citation], corpus: Corpus | None = None
) -> list[tuple[str, str, str, str]]:
    """Each side of a disagreement as (claim, its articles, its citation markers, how many articles hold it):
    every table's rows. The articles are all named (by their names in the ``corpus``, else their ids), or at
    scale the quoted ones and how many more."""
    doc_of = {c.id: c.doc_id for c in citations}
    rows = []
    for p in conflict.positions:
        quoted = list(dict.fromkeys(doc_of[i] for i in p.citations if i in doc_of))
        every = list(p.doc_ids) or quoted
        named = every if len(every) <= len(quoted) or not quoted else quoted
        rest = f" and {p.count - len(named)} more" if p.count > len(named) else ""
        markers = " ".join(f"[{i}]" for i in p.citations)
        names = [_label(corpus, d) for d in named] if corpus is not None else named
        rows.append((p.claim, ", ".join(names) + rest, markers, _articles(p.count)))
    return rows


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    cells = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(r, widths)) + " |" for r in rows]
    return [rule, cells[0], rule, *cells[1:], rule]


def answer_plain(answer: Answer, width: int | None = None, corpus: Corpus | None = None) -> str:
    """The answer as plain text, for a terminal and for API clients: the answer, each disagreement as a
    table of positions, then the numbered quotes (with the ``corpus``, under each cited article's name and file
    name, each article once). ``width`` wraps the prose (the terminal's form)."""

    def wrap(text: str, indent: str = "") -> str:
        return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent) if width else indent + text

    out = [wrap(answer.text)]
    for conflict in answer.conflicts:
        positions = _positions(conflict, answer.citations, corpus)
        rows = [(c if len(c) <= 60 else c[:57] + "…", *rest) for c, *rest in positions]
        out += ["", f"Sources disagree: {conflict.topic}", *_table([("Position", "Articles", "Cited", "Count"), *rows])]
    if answer.citations:
        out += ["", "Sources"]
        for heading, cited in _listed(answer.citations, corpus):
            out += [f" {heading}"] if heading else []
            for c in cited:
                opinion = "  (opinion)" if c.stance == "opinion" else ""
                where = "" if heading else f"{c.doc_id}  "
                out += [f" [{c.id}] {where}(characters {c.start}–{c.end}){opinion}", wrap(f"“{c.quote}”", "     ")]
    return "\n".join(out)


def articles_html(corpus: Corpus) -> str:
    rows = "".join(
        f'<li><div class="art-title">{html.escape(d.title)}</div>'
        f'<div class="art-meta"><code>{html.escape(d.doc_id)}</code> · '
        f"{len(d.text.split()):,} words · {len(d.text.encode('utf-8')) / 1024:.1f} KB</div></li>"
        for d in corpus
    )
    skipped = "".join(f"<li>{html.escape(note)}</li>" for note in corpus.skipped)
    notes = f'<div class="art-skipped">Not counted:<ul>{skipped}</ul></div>' if skipped else ""
    count = f"{len(corpus)} article{'s' if len(corpus) != 1 else ''}"
    return f'<div class="articles"><div class="art-count">{count}</div><ul>{rows}</ul>{notes}</div>'


# -- the story map ---------------------------------------------------------------------------------


def map_markdown(story_map: StoryMap) -> str:
    """The map as a Markdown document: one table (a row per point, a column per article), then the
    numbered quotes. Everything from an article or a question is escaped, as in the answer export."""
    heads = [_md(title) for _, title in story_map.columns]
    lines = ["# Where the sources disagree", "", "| Point | " + " | ".join(heads) + " |"]
    lines.append("|---" * (len(heads) + 1) + "|")
    quotes: dict[int, str] = {}
    for row in story_map.rows:
        cells = []
        for doc_id, _ in story_map.columns:
            cell = row.cell(doc_id)
            if cell:
                quotes[cell.citation.id] = f"\\[{cell.citation.id}\\] {_md(cell.doc_id)}: “{_md(cell.citation.quote)}”"
            cells.append(f"{_md(cell.answer)} \\[{cell.citation.id}\\]" if cell else "")
        mark = "**disagree** · " if row.disagree else ""
        lines.append(f"| {mark}{_md(row.question)} | " + " | ".join(cells) + " |")
    lines += ["", "## Sources", ""] + [quotes[k] + "\n" for k in sorted(quotes)]
    return "\n".join(lines).rstrip() + "\n"


def map_plain(story_map: StoryMap) -> str:
    """The map for a terminal: each point, marked when the articles disagree, with each side's answer
    and the articles (by headline) that give it."""
    titles = dict(story_map.columns)
    out = [f"Story map: {len(story_map.rows)} points over {len(story_map.columns)} articles"]
    for row in story_map.rows:
        out.append("")
        out.append(("[DISAGREE] " if row.disagree else "") + row.question)
        for answer, doc_ids in row.positions:
            cited = " ".join(f"[{row.cell(d).citation.id}]" for d in doc_ids)
            out.append(f"  - {answer} {cited}: " + "; ".join(titles.get(d, d) for d in doc_ids))
    return "\n".join(out)


def map_html(story_map: StoryMap | None, status: str = "") -> str:
    """The map tab: a table whose cells open the cited passage (``#mapsrc-N``, shown under the table)."""
    if story_map is None or not story_map.rows:
        return f'<div class="map-empty">{html.escape(status or "The map is not built yet.")}</div>'
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in story_map.columns)
    rows, passages = [], {}
    for row in story_map.rows:
        cells = []
        for doc_id, _ in story_map.columns:
            cell = row.cell(doc_id)
            if cell is None:
                cells.append('<td class="silent"></td>')
                continue
            n = cell.citation.id
            passages[n] = cell
            cells.append(
                f'<td class="{html.escape(cell.relation)}"><a href="#mapsrc-{n}" class="map-cell" data-cite="{n}">'
                f"{html.escape(cell.answer)}</a> <sup>[{n}]</sup>{_opinion_badge(cell.citation)}</td>"
            )
        flag = '<span class="disagree-flag">disagree</span> ' if row.disagree else ""
        rows.append(
            f'<tr class="{"disagree" if row.disagree else ""}"><th>{flag}{html.escape(row.question)}</th>'
            + "".join(cells)
            + "</tr>"
        )
    quotes = "".join(
        f'<blockquote id="mapsrc-{n}" class="map-passage"><strong>[{n}]</strong> '
        f"{html.escape(c.citation.quote)}</blockquote>"
        for n, c in sorted(passages.items())
    )
    note = f'<div class="map-status">{html.escape(status)}</div>' if status else ""
    return (
        f'{note}<table class="story-map"><thead><tr><th>Point</th>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table><div class="map-passages">{quotes}</div>'
    )
