"""The model's copied words -> a complete, readable phrase of the cited sentence.

A small model stops mid-constituent ("over several", "the UK" out of "the UK's cyber centre").
Here the words are widened, in code, to a whole syntactic unit of the sentence's dependency parse:
the named entity they sit in, the quotation they sit in, or the smallest subtree that holds them
(climbing from a modifier to the word it modifies, so "several" becomes "several months"). When the
unit is the whole sentence, or too long to read as a phrase, the whole sentence is the answer: a
quoted sentence is better than a fragment. The result is always a run of the sentence's own
characters, so it quotes the article verbatim.
"""

from __future__ import annotations

import re

from . import language

__all__ = ["answer_phrase", "clause_of_argument", "locate", "quotation_around", "quotations", "role_argument",
           "EDGE"]

EDGE = " \t,;:.!?\"'“”‘’()[]—–-"
# Dependents that do not stand alone as an answer: the phrase grows to the word they modify (and a
# conjunct to the whole list: "the US Department of Justice and the UK National Cyber Security Centre").
_ATTACHED = frozenset({"poss", "compound", "amod", "nummod", "det", "case", "quantmod", "nmod", "predet", "aux",
                       "auxpass", "neg", "prt", "cc", "punct", "mark", "preconj", "nn", "dep", "conj"})


def locate(words: str, sentence: str) -> tuple[int, int] | None:
    """Character offsets of ``words`` in ``sentence``, allowing for different whitespace."""
    words = words.strip(EDGE)
    if not words:
        return None
    at = sentence.find(words)
    if at >= 0:
        return at, at + len(words)
    match = re.search(re.escape(words).replace("\\ ", r"\s+"), sentence, re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def quotation_around(sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """The quotation (inside its marks) that holds [start, end), if the words are someone's quoted words."""
    opener = sentence.rfind("“", 0, start + 1)
    if opener >= 0 and sentence.rfind("”", opener, start) < 0:
        close = sentence.find("”", end)
        return (opener + 1, close) if close >= 0 else None
    if sentence.count('"', 0, start + 1) % 2 == 1:
        opener = sentence.rfind('"', 0, start + 1)
        close = sentence.find('"', max(end, opener + 1))
        return (opener + 1, close) if close >= end else None
    return None


def quotations(sentence: str, min_words: int = 3) -> list[str]:
    """The quoted passages of a sentence (inside their marks), of at least ``min_words`` words."""
    found = re.findall(r"“([^”]+)”|\"([^\"]+)\"", sentence)
    return [q.strip(EDGE) for pair in found for q in pair if len(q.split()) >= min_words]


_NP_INNER = frozenset({"det", "amod", "compound", "nummod", "poss", "case", "appos", "nmod", "punct", "cc", "conj",
                       "quantmod", "predet", "prep", "pobj", "dobj", "nn", "npadvmod", "hmod", "hyph", "dep"})


def _phrase_of(token) -> tuple[int, int]:
    """The noun phrase headed by ``token``: its modifiers, names and appositions, but no clause or
    clause-like phrase hung on it ("a Chinese competitor [of stealing model weights]")."""
    keep = [token]
    stack = [token]
    while stack:
        head = stack.pop()
        for child in head.children:
            if child.dep_ not in _NP_INNER:
                continue
            if child.dep_ == "prep" and (child.i < head.i or any(g.dep_ == "pcomp" for g in child.children)):
                continue
            keep.append(child)
            stack.append(child)
    lo, hi = min(t.i for t in keep), max(t.i for t in keep)
    doc = token.doc
    while lo < hi and (doc[lo].is_punct or doc[lo].dep_ == "cc"):
        lo += 1
    while hi > lo and doc[hi].is_punct and doc[hi].text not in ")”’\"'":
        hi -= 1
    return doc[lo].idx, doc[hi].idx + len(doc[hi].text)


_CLAUSE_PARTS = frozenset({"nsubj", "nsubjpass", "prep", "npadvmod"})


def clause_of_argument(sentence: str, where: tuple[int, int]) -> tuple[int, int]:
    """When [start, end) is only the subject of a clause or an adverbial phrase hung on it ("The UK
    watchdog", "In a press release"), the clause itself: that is what a how/what/why question asks for.
    Otherwise ``where`` unchanged."""
    doc = language.parse(sentence)
    tokens = _tokens_in(doc, *where)
    if not tokens:
        return where
    node = _lowest_common_ancestor(tokens)
    while node is not None and node.dep_ in _ATTACHED and node.head.i != node.i:
        node = node.head
    if node is None or node.dep_ not in _CLAUSE_PARTS or node.head.pos_ not in ("VERB", "AUX"):
        return where
    clause = node.head
    return clause.left_edge.idx, clause.right_edge.idx + len(clause.right_edge.text)


def role_argument(sentence: str, predicate: str, role: str) -> tuple[int, int] | None:
    """Offsets of the argument that fills ``role`` of a verb with lemma ``predicate`` in the sentence:
    for "who was accused", the one accused ("has accused Alibaba" -> Alibaba; "Alibaba was accused" ->
    Alibaba); for "who accused", the accuser. None when the sentence has no such verb and argument."""
    if not predicate or not role:
        return None
    for verb in language.parse(sentence):
        if verb.lemma_.lower() != predicate or verb.pos_ not in ("VERB", "AUX"):
            continue
        passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)
        if role == "patient":
            deps = ("nsubjpass",) if passive else ("dobj",)
            args = [c for c in verb.children if c.dep_ in deps]
        else:
            by = next((c for c in verb.children if c.dep_ == "agent"), None) if passive else None
            args = ([c for c in by.children if c.dep_ == "pobj"] if by is not None
                    else [c for c in verb.children if c.dep_ == "nsubj"])
        if args:  # a mis-split compound ("e - commerce") can leave several: the phrase spans them all
            spans = [_phrase_of(a) for a in args]
            return min(a for a, _ in spans), max(b for _, b in spans)
    return None


def _tokens_in(doc, start: int, end: int) -> list:
    return [t for t in doc if t.idx < end and t.idx + len(t.text) > start and not t.is_space]


def _path_to_root(token) -> list:
    path = [token]
    while path[-1].head.i != path[-1].i:  # spaCy makes a new Token object per access: compare positions
        path.append(path[-1].head)
    return path


def _lowest_common_ancestor(tokens):
    """The lowest token whose subtree holds them all; None when they sit in separate parses (two roots)."""
    paths = [_path_to_root(t) for t in tokens]
    common = set.intersection(*({t.i for t in path} for path in paths))
    return next((t for t in paths[0] if t.i in common), None)


def _unit(doc, start: int, end: int) -> tuple[int, int] | None:
    """[start, end) widened to the entity or subtree of the parse that holds it."""
    tokens = _tokens_in(doc, start, end)
    if not tokens:
        return None
    lo, hi = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    for ent in doc.ents:  # a name or value is a unit: never cut "eighteen months" or "Julian Vane"
        if ent.start_char < hi and ent.end_char > lo:
            lo, hi = min(lo, ent.start_char), max(hi, ent.end_char)
    tokens = _tokens_in(doc, lo, hi)
    node = _lowest_common_ancestor(tokens)
    if node is None:
        return lo, hi
    while node.dep_ in _ATTACHED and node.head.i != node.i:
        node = node.head
    left, right = node.left_edge, node.right_edge
    # A clause cut out of its sentence does not start with its conjunction ("though", "and", "that").
    while left.i < right.i and left.idx < lo and (left.dep_ in ("mark", "cc", "punct") or left.is_space):
        left = doc[left.i + 1]
    return min(lo, left.idx), max(hi, right.idx + len(right.text))


def _trim(sentence: str, start: int, end: int) -> tuple[int, int]:
    while start < end and sentence[start] in EDGE:
        start += 1
    while end > start and sentence[end - 1] in EDGE and sentence[end - 1] not in ")”’\"'":
        end -= 1
    return start, end


def _balanced(text: str) -> bool:
    return text.count("(") == text.count(")") and text.count("“") == text.count("”") and text.count('"') % 2 == 0


def answer_phrase(words: str, sentence: str, *, max_words: int = 24, whole_share: float = 0.8,
                  where: tuple[int, int] | None = None) -> str:
    """A complete phrase of ``sentence`` that holds the model's ``words`` (the whole sentence when in doubt);
    ``where`` gives the words' offsets when they occur more than once."""
    whole = sentence.strip()
    where = where or locate(words, sentence)
    if where is None:
        return whole
    quoted = quotation_around(sentence, *where)
    if quoted is not None:
        return sentence[slice(*_trim(sentence, *quoted))]
    unit = _unit(language.parse(sentence), *where)
    if unit is None:
        return whole
    start, end = _trim(sentence, *unit)
    phrase = sentence[start:end]
    n_words, n_sentence = len(phrase.split()), len(sentence.split())
    if n_words >= whole_share * n_sentence or not _balanced(phrase):
        return whole if n_sentence <= 2 * max_words else sentence[slice(*_trim(sentence, *where))]
    if n_words > max_words:
        # A long clause: the whole sentence reads better, unless the "sentence" is a run-on (a table,
        # an infobox) where only the model's own words are readable.
        return whole if n_sentence <= 2 * max_words else sentence[slice(*_trim(sentence, *where))]
    return phrase
