"""Per-article reading: the model reads one whole article, the question last, and answers in its words.

One call per article and question part. The article is a user turn of its own, before the question, so
its KV state is computed once (at index time, ``prepare``) and reused by every question. Whether the
article answers at all is the model's P("yes") at the start of its reply, gated by a calibrated bar,
never its willingness to write "no". The answering words are then decoded under a constraint that admits
only runs of the article's text (``Backend.copy_span``): the reply is copied, it cannot be written. Code
finds the words in the article, widens them to the smallest complete unit that carries the fact (a number
with its noun, a date with its year, a name with its title: the entity or noun phrase they cut into) and
cites the sentence they sit in.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from typing import Generator, Iterable, Sequence

from . import language
from .backends.base import Backend
from .prompts import Prompt, load_prompt
from .settings import ReadingSettings
from .text import EDGE_PUNCT, WORD, locate, paragraph_bounds, stopwords
from .tokens import count_tokens
from .types import Article, Event, Finding, Question, Span

__all__ = [
    "reading_steps",
    "prepare",
    "kept_prefix",
    "shown_article",
    "widen",
    "ground_words",
    "accepted",
    "PROMPT",
    "ANSWER_PREFIX",
]

log = logging.getLogger(__name__)

PROMPT = "read_article"
ANSWER_PREFIX = "yes:"  # the reply opening after which the copied words come (the examples' form)


def _unscreened(article: Article) -> str:
    text = article.document.text
    for span in sorted((s for s in article.sentences if s.start in article.screened), key=lambda s: -s.start):
        text = text[: span.start] + text[span.end :]
    return text


def shown_article(article: Article, settings: ReadingSettings) -> tuple[str, bool]:
    """(what the model reads, whether it is the whole article). The article is read whole, less any sentence
    screened as a planted instruction; an article over the token budget as the paragraphs of its best
    passages, in the article's order. Only a whole article's state can be kept between questions, since a
    long article's passages depend on the question."""
    text = _unscreened(article)
    if count_tokens(text) <= settings.max_article_tokens or not article.passages:
        return text, True
    full = article.document.text
    bounds = sorted({paragraph_bounds(full, ev.span.start, ev.span.end) for ev in article.passages})
    shown: list[tuple[int, int]] = []
    used = 0
    for ev in article.passages:  # best first, until the budget is spent; then shown in the article's order
        lo, hi = paragraph_bounds(full, ev.span.start, ev.span.end)
        cost = count_tokens(full[lo:hi])
        if (lo, hi) in shown or (shown and used + cost > settings.max_article_tokens):
            continue
        shown.append((lo, hi))
        used += cost
    keep = [b for b in bounds if b in shown]
    screened = [s for s in article.sentences if s.start in article.screened]
    parts = []
    for lo, hi in keep:
        part = full[lo:hi]
        for s in sorted((s for s in screened if lo <= s.start < hi), key=lambda s: -s.start):
            part = part[: s.start - lo] + part[s.end - lo :]
        parts.append(part.strip())
    return "\n…\n".join(p for p in parts if p), False


def kept_prefix(article: Article, settings: ReadingSettings) -> list[dict] | None:
    """The messages whose state is kept for ``article`` between questions (and on disk): the worked examples and
    the article, when it is shown whole; None when it is shown in part (its passages depend on the question)."""
    shown, whole = shown_article(article, settings)
    return load_prompt(PROMPT).context_prefix(article=shown) if whole else None


def prepare(backend: Backend, articles: Iterable[Article], settings: ReadingSettings) -> int:
    """Compute (or find on disk) each whole article's KV state ahead of any question; returns how many."""
    backend.warm(load_prompt(PROMPT).prefix())
    n = 0
    for article in articles:
        prefix = kept_prefix(article, settings)
        if prefix is not None:
            backend.warm(prefix)
            n += 1
    return n


def widen(text: str, start: int, end: int, sentence: Span, max_words: int) -> tuple[int, int]:
    """[start, end) grown to whole words and to every entity or noun phrase of the sentence it cuts into
    (at most ``max_words`` more words), then trimmed of edge punctuation; always inside the sentence."""
    lo, hi = sentence.start, sentence.end
    start, end = max(start, lo), min(end, hi)
    while start > lo and (
        text[start - 1].isalnum() or (text[start - 1] in ",." and text[start - 2 : start - 1].isdigit())
    ):
        start -= 1
    while end < hi and (text[end].isalnum() or (text[end] in ",." and text[end + 1 : end + 2].isdigit())):
        end += 1
    doc = language.parse(sentence.text)
    ends_in_number = any(ch.isdigit() for ch in text[start:end].split()[-1:][0]) if text[start:end].split() else False
    # A named entity or value the words cut into (a name's first part, a date's year); a number's noun
    # phrase (its unit: "3,292" -> "3,292 people").
    units = [*doc.ents, *(c for c in doc.noun_chunks if ends_in_number)]
    for unit in units:
        s, e = lo + unit.start_char, lo + unit.end_char
        if s < end and e > start and (s < start or e > end):
            added = len(text[min(s, start) : start].split()) + len(text[end : max(e, end)].split())
            if added <= max_words:
                start, end = min(s, start), max(e, end)
    while start < end and text[start] in EDGE_PUNCT and text[start] not in "“\"'‘([£$€":
        start += 1
    while end > start and text[end - 1] in EDGE_PUNCT and text[end - 1] not in "”\"’')]":
        end -= 1
    return start, end


# Words a phrase cannot end on: copied words cut off after one of these ("for an", "the extraction of
# their") stop where the phrase was still complete.
_DANGLING = frozenset(
    "a an the of for to in on at by with from into and or but as than their its his her our your my this that".split()
)


def _without_dangling_end(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end:
        words = text[start:end].split()
        if len(words) < 2 or words[-1].strip(EDGE_PUNCT).lower() not in _DANGLING:
            break
        end = start + text[start:end].rstrip().rfind(words[-1])
        while end > start and text[end - 1] in EDGE_PUNCT:
            end -= 1
    return start, end


def _says_something(phrase: str) -> bool:
    """Whether the words hold anything but function words (a lone "for" or "the" answers nothing)."""
    stop = stopwords()
    return any(ch.isdigit() for ch in phrase) or any(w.lower() not in stop for w in WORD.findall(phrase))


def ground_words(
    words: str, article: Article, p_yes: float, part: int, settings: ReadingSettings, fluency: float | None = None
) -> Finding | None:
    """The model's copied words as a finding: found in the article, widened, cited by their sentence.
    None when they are not the article's words (an endpoint that paraphrased) or say nothing."""
    words = words.strip(EDGE_PUNCT + " ")
    if not any(ch.isalnum() for ch in words) or words.lower() in ("no", "none", "unknown"):
        return None
    text = article.document.text
    where = locate(words, text)
    if where is None:
        log.debug("%s: %r is not in the article; dropped", article.doc_id, words)
        return None
    sentence = article.sentence_at(where[0])
    if sentence is None or sentence.start in article.screened:
        return None
    start, end = widen(text, where[0], where[1], sentence, settings.max_widen_words)
    start, end = _without_dangling_end(text, start, end)
    if start >= end or not _says_something(text[start:end]):
        return None
    return Finding(article.doc_id, p_yes, text[start:end], start, end, sentence, part, fluency)


def accepted(finding: Finding, settings: ReadingSettings) -> bool:
    """Whether a reading counts as the article's answer: P("yes") and the copied words' fluency both clear
    their bars (a backend that cannot tell fluency is judged on P("yes") alone)."""
    fluent = finding.fluency is None or finding.fluency >= settings.fluency_floor
    return finding.answers and finding.p_yes >= settings.answer_bar and fluent


def _asked(question: Question, part: str) -> str:
    return part if len(question.asked) == 1 else f"{question.text} (Answer only this part: {part})"


def read_article(
    backend: Backend, prompt: Prompt, question: Question, article: Article, settings: ReadingSettings
) -> list[Finding]:
    """One finding per part of the question: the article's answer, or a silent finding with its P(yes)."""
    shown, whole = shown_article(article, settings)
    if whole:  # its state is kept between questions (and on disk)
        backend.warm(prompt.prefix())  # the worked examples, once: each article's state builds on them
        backend.warm(prompt.context_prefix(article=shown))
    findings = []
    for part, asked in enumerate(question.asked):
        messages = prompt.messages(article=shown, question=_asked(question, asked))
        p_yes = backend.probabilities(messages, ["yes", "no"], reply_prefix=prompt.reply_prefix).get("yes", 0.0)
        finding = None
        if p_yes >= settings.answer_bar:
            copied = backend.copy_span(
                messages,
                shown,
                reply_prefix=ANSWER_PREFIX,
                max_tokens=settings.max_answer_tokens,
                candidates=settings.copy_candidates,
            )
            finding = ground_words(copied.text, article, p_yes, part, settings, copied.confidence)
            if finding is not None and not accepted(finding, settings):
                finding = replace(finding, phrase="", sentence=None)
        log.debug("%s part %d: P(yes) %.2f -> %r", article.doc_id, part, p_yes, finding and finding.phrase)
        findings.append(finding or Finding(article.doc_id, p_yes, part=part))
    return findings


def reading_steps(
    backend: Backend, question: Question, articles: Sequence[Article], settings: ReadingSettings
) -> Generator[Event, None, list[Finding]]:
    """Read every article (in turn, or all at once when the backend is ``concurrent``), yielding a
    ``reading`` event per article; returns the findings in the articles' order."""
    prompt = load_prompt(PROMPT)
    total = len(articles)

    def event(n: int, article: Article) -> Event:
        return Event("reading", f"Reading article {n} of {total} ({article.document.title})", n, total, article.doc_id)

    results: dict[str, list[Finding]] = {}
    if backend.concurrent and total > 1:
        with ThreadPoolExecutor(max_workers=min(settings.concurrent_articles, total)) as pool:
            futures = {pool.submit(read_article, backend, prompt, question, a, settings): a for a in articles}
            for n, future in enumerate(as_completed(futures), 1):
                results[futures[future].doc_id] = future.result()
                yield event(n, futures[future])
    else:
        for n, article in enumerate(articles, 1):
            yield event(n, article)
            results[article.doc_id] = read_article(backend, prompt, question, article, settings)
    return [f for a in articles for f in results[a.doc_id]]
