"""Gathering, in code plus narrow model checks: the articles' answers -> positions, and how they stand.

1. **Group by meaning.** Two answers are one when their keys (lower case, punctuation and articles
   dropped, number words as digits) are equal or one holds the other's words, or when their MiniLM
   vectors are very close; never when they state different numbers, or when one counts what the other only
   estimates (the same last word, a number in one only: "nine days", "several days"). Pairs in
   between are put to the model ("same fact?", ``prompts/same_answer.yaml``), read as P("yes").
2. **Count the articles not read.** At scale only some matching articles are read (the cap on reading);
   each of the others supports a group when its own text, keyed as answers are, holds the key of one of
   the group's answers, in a sentence not screened as a planted instruction; one that states the answers
   of two groups supports neither, and a near-copy of a read article supports only that article's group.
   Code only, no model call: cheap at hundreds of articles.
3. **Order by support**: most articles first (read and counted), then the model's confidence that they answer.
4. **How each further group stands to the leading one.**
   - *disputed*: every article of it is a near-copy (token Jaccard, repeats.py) of an article of a better-supported
     group (more articles, or as many read with more confidence), with the answer changed: the signature of
     a planted or doctored copy. Reported and cited, never dropped, but not asserted as an answer.
   - *complements*: a question that asks for several things (``Question.several``: "which sectors", "what did
     X say", read off the question's parse) gathers a list, whose items add up and never conflict. (Asking the
     model whether two answers "can both be true" was measured and dropped: it said yes, P 0.68-0.90, to every
     pair, "3,000 people" against "1,800 residents" and "a corroded valve" against "a ruptured hose" too.)
   - *distinct*: the model says the two articles are about different things that share a name
     (``prompts/same_subject.yaml``): both answers stand, side by side, with what tells them apart.
   - *disagrees*: a question asking for one value, same subject, another answer: a disagreement.
   - *addressed*: every answer of it is given in a sentence addressed to its reader in a form that is no
     report (an instruction-screen candidate in another language than its article or in the second person:
     ``injection.addressed``, ``InjectionSettings.not_a_report``) that the model did not screen, or, where one
     value is asked and other articles answer, one article's answer rests only on sentences the model reads as
     an order about what to answer rather than a report (``_orders_only``: the likelihood of the sentence
     under two framings that both hold the question), while the leading group rests on reported sentences.
     Words addressed to the reader are not a report: they may give an answer no article contradicts, or
     support one that articles report, but never make a disagreement on their own. Left out of the answer,
     its articles named (a planted order that passed the screen ends here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from .backends.base import Backend
from .prompts import load_prompt
from .repeats import Repeats
from .settings import GatherSettings
from .text import answer_key, contains_words, flatten, numbers_of, stem
from .types import Document, Encoder, Finding, Group, Question, Relation, Span, Unread

__all__ = ["gather", "same_answer", "count_unread", "Gathering"]


@dataclass(frozen=True)
class Gathering:
    """What gathering works with, the same for every part of one question: the articles read, the sentence
    encoder (answers are compared by their vectors), the model (for the narrow checks), the settings, the
    near-copy detector, and the matching articles not read (counted for the answers their text states)."""

    docs: Mapping[str, Document]
    encoder: Encoder
    backend: Backend
    settings: GatherSettings
    repeats: Repeats
    unread: Unread | None = None
    addressed: frozenset[tuple[str, int]] = frozenset()  # (doc id, start) of sentences addressed to their reader
    # (doc id, start) of the sentences whose form made them instruction-screen candidates, not screened
    candidates: frozenset[tuple[str, int]] = frozenset()


def _code_same(a: str, b: str) -> bool | None:
    """True/False when code can tell whether two answers say the same; None when it cannot."""
    ka, kb = answer_key(a), answer_key(b)
    if ka == kb or contains_words(ka, kb) or contains_words(kb, ka):
        return True  # "October 1970" is said by "17 October 1970" too
    na, nb = numbers_of(a), numbers_of(b)
    if na and nb and na != nb:
        return False
    last_a, last_b = ka.split()[-1:], kb.split()[-1:]
    if bool(na) != bool(nb) and last_a and last_b and stem(last_a[0]) == stem(last_b[0]):
        return False  # one counts what the other only estimates: "nine days", "several days"
    return None


def same_answer(
    a: str, b: str, question: str, vectors: Mapping[str, np.ndarray], backend: Backend, settings: GatherSettings
) -> bool:
    """Do two answers to ``question`` say the same thing? Code first, then the vectors, then the model."""
    decided = _code_same(a, b)
    if decided is not None:
        return decided
    cosine = float(vectors[a] @ vectors[b])
    if cosine >= settings.same_embedding:
        return True
    if cosine < settings.ask_floor:
        return False
    prompt = load_prompt("same_answer")
    backend.warm(prompt.prefix())
    messages = prompt.messages(question=question, first=a, second=b)
    return backend.probabilities(messages, ["yes", "no"]).get("yes", 0.0) >= settings.same_bar


def _group(
    findings: Sequence[Finding], question: str, encoder: Encoder, backend: Backend, settings: GatherSettings
) -> list[Group]:
    answering = sorted((f for f in findings if f.answers), key=lambda f: -f.p_yes)
    phrases = list(dict.fromkeys(f.phrase for f in answering))
    vectors = dict(zip(phrases, encoder.embed(phrases))) if phrases else {}
    groups: list[Group] = []
    for finding in answering:
        home = next(
            (
                g
                for g in groups
                if any(_code_same(m.phrase, finding.phrase) for m in g.findings)
                or same_answer(g.findings[0].phrase, finding.phrase, question, vectors, backend, settings)
            ),
            None,
        )
        if home is None:
            groups.append(Group([finding]))
        else:
            home.findings.append(finding)
    return sorted(groups, key=lambda g: (-g.count, -g.best))


def _stated(sentences: Sequence[Span], keys: Sequence[set[str]], readable: Callable[[Span], bool]) -> set[int]:
    """Which groups an article states the answer of: those one of whose answer keys a readable sentence holds
    (stops at two: the article is then ambiguous)."""
    stated: set[int] = set()
    for span in sentences:
        key = answer_key(span.text)
        hits = {
            i
            for i, group_keys in enumerate(keys)
            if i not in stated and any(contains_words(key, k) for k in group_keys)
        }
        if hits and readable(span):
            stated |= hits
            if len(stated) > 1:
                break
    return stated


def count_unread(groups: Sequence[Group], unread: Unread) -> None:
    """Each unread article that states exactly one group's answer supports that group (``Group.also``, in the
    order given); a near-copy of a read article supports only that article's group, when it still says it."""
    keys = [{k for k in (answer_key(f.phrase) for f in g.findings) if k} for g in groups]
    home = {doc_id: i for i, g in enumerate(groups) for doc_id in g.doc_ids}
    for doc_id, sentences in unread.sentences.items():
        stated = _stated(sentences, keys, unread.readable)
        if len(stated) != 1:
            continue
        (i,) = stated
        if doc_id in unread.copy_of and home.get(unread.copy_of[doc_id]) != i:
            continue
        groups[i].also.append(doc_id)


def _opening(doc: Document, finding: Finding, words: int) -> str:
    sentence = flatten(finding.sentence.text) if finding.sentence else ""
    head = doc.headline  # the name the text gives itself; a corpus label ("Article 3") tells the model nothing
    text = f"{head}. {sentence}" if head and head not in sentence else sentence
    cut = text.split()
    return " ".join(cut[:words]) + (" …" if len(cut) > words else "")


def _same_subject(
    question: str, lead: Group, other: Group, docs: Mapping[str, Document], backend: Backend, words: int
) -> float:
    prompt = load_prompt("same_subject")
    backend.warm(prompt.prefix())
    first, second = lead.findings[0], other.findings[0]
    messages = prompt.messages(
        question=question,
        first=_opening(docs[first.doc_id], first, words),
        second=_opening(docs[second.doc_id], second, words),
    )
    return backend.probabilities(messages, ["yes", "no"]).get("yes", 0.0)


def _addressed_only(group: Group, addressed: frozenset[tuple[str, int]]) -> bool:
    """Whether every answer of the group is given in a sentence addressed to its reader (``Gathering.addressed``)
    and no article not read states it: such words may add an answer no article reports otherwise, or
    support one that articles report, but never stand alone against a reported answer."""
    return not group.also and all(
        f.sentence is not None and (f.doc_id, f.sentence.start) in addressed for f in group.findings
    )


def _wrapper(finding: Finding, words: int) -> tuple[str, tuple[int, int] | None]:
    """The words of the sentence an answer rests on, at most ``words`` either side of the answer (whitespace
    collapsed), and where the answer's own words are in them."""
    assert finding.sentence is not None
    text, phrase = flatten(finding.sentence.text), flatten(finding.phrase)
    at = text.find(phrase) if phrase else -1
    if at < 0:
        return " ".join(text.split()[: 2 * words]), None
    starts = [m.start() for m in re.finditer(r"\S+", text[:at])]
    ends = [m.end() for m in re.finditer(r"\S+", text[at + len(phrase) :])]
    first = starts[-words] if len(starts) >= words else 0
    last = at + len(phrase) + (ends[words - 1] if len(ends) >= words else len(text) - at - len(phrase))
    return text[first:last], (at - first, at - first + len(phrase))


def _orders_only(group: Group, part: str, using: Gathering) -> bool:
    """Whether every answer of the group rests on a sentence whose form made it an instruction-screen candidate
    (``Gathering.candidates``: an imperative, a modal of obligation, a label, markup, ...; the screen read it
    without the question and let it through) and that the model, question in hand, finds likelier, by
    ``order_bar`` (mean log-probability per token, the answer's own words left out), as a hidden order about
    what AI systems should answer to the question (``prompts/order_answer.yaml``) than as a sentence of news
    that answers it (``prompts/report_answer.yaml``). Both framings hold the question, so its subject's words
    are as likely under either: what differs is whether the sentence reports or gives orders. Only candidates
    are asked: on sentences of any form the two framings do not separate orders from news (bench/order_check.py:
    a story about AI has cited news sentences scoring over planted orders). A backend that cannot read
    likelihoods is never asked (the instruction screen and the addressed forms still hold)."""
    backend, bar = using.backend, using.settings.order_bar
    if not backend.supports_likelihood:
        return False
    if not all(f.sentence is not None and (f.doc_id, f.sentence.start) in using.candidates for f in group.findings):
        return False
    order, report = load_prompt("order_answer"), load_prompt("report_answer")
    asked = order.messages(question=part), report.messages(question=part)
    for prompt, messages in zip((order, report), asked):  # each framing with the question: computed once
        backend.warm(prompt.prefix())
        backend.warm(messages)
    for finding in group.findings:
        reply, skip = _wrapper(finding, using.settings.order_words)
        if backend.likelihood(asked[0], reply, skip) - backend.likelihood(asked[1], reply, skip) < bar:
            return False
    return True


def gather(findings: Sequence[Finding], question: Question, part: str, using: Gathering) -> list[Group]:
    """The answering findings of one question part (``part``, as parsed: ``question``), grouped, the matching
    articles not read counted for them, ordered, and each group's relation set."""
    settings = using.settings
    groups = _group(findings, part, using.encoder, using.backend, settings)
    if using.unread is not None and groups:
        count_unread(groups, using.unread)
        groups.sort(key=lambda g: (-g.count, -g.best))
    alone = {id(g) for g in groups if _addressed_only(g, using.addressed)}
    if not question.several and len(groups) > 1:  # a disagreement to be: no order may make one
        alone |= {id(g) for g in groups if id(g) not in alone and g.count == 1 and _orders_only(g, part, using)}
    groups.sort(key=lambda g: id(g) in alone)  # stable: reported answers lead
    reported = bool(groups) and id(groups[0]) not in alone
    for i, group in enumerate(groups[1:], 1):
        if reported and not question.several and id(group) in alone:
            group.relation = Relation.ADDRESSED
            continue
        # A better-supported group: more articles, or as many read with more confidence (the reader's P("yes")).
        better = [d for g in groups[:i] if g.relation not in (Relation.DISPUTED, Relation.ADDRESSED) for d in g.doc_ids]
        copies = [using.repeats.copy_of(d, better) for d in group.doc_ids]
        if all(copies):
            group.relation, group.copy_of = Relation.DISPUTED, copies[0]
        elif question.several:
            group.relation = Relation.COMPLEMENTS
        else:
            p_same = _same_subject(part, groups[0], group, using.docs, using.backend, settings.opening_words)
            group.relation = Relation.DISTINCT if p_same < settings.different_bar else Relation.DISAGREES
    return groups
