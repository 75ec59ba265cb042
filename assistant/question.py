"""What a question asks for: its expected answer type, whether it asks for several things, its key terms,
any source it is scoped to, and its parts.

The question's form is read off spaCy's parse (``language.parse``, one cached parse per question text), not
off word lists: the interrogative word, the noun it asks about, and the order of the words after it (an
auxiliary followed by a subject is an object question: "What did the council tell residents?"). Retrieval
uses the answer type to boost sentences of the right shape (a "how long" question favours duration
phrases), gather uses ``several`` to let answers complement each other, and the reader answers each part.
"""

from __future__ import annotations

import re

from . import language
from .errors import BadQuestion
from .text import UNIT_PATTERN, analyze, flatten
from .types import Question

__all__ = ["check_question", "parse_question", "question_parts", "MAX_QUESTION_CHARS"]

MAX_QUESTION_CHARS = 2000

_SCOPE_PATTERNS = (
    re.compile(r"\baccording to (?:the )?(?P<src>[^,?.;:]+)", re.I),
    re.compile(
        r"\b(?:piece|article|report|column|story|op-ed|editorial)\b[^,?;:]{0,25}?"
        r"\bby (?P<src>[A-Z][\w’'-]+(?: [A-Z][\w’'-]+){0,3})"
    ),
    re.compile(
        r"\b(?:in|by) (?:the )?(?P<src>[\w’'. -]+?)(?:'s|’s) (?:report|statement|briefing|brief|complaint|alert|"
        r"press release|article|piece|column|account|assessment)\b",
        re.I,
    ),
)
# Interrogatives and auxiliaries carry no content; as search terms they only add noise.
_QUESTION_WORDS = frozenset(
    analyze(
        "who whom whose what which when where why how did does do done was were is are be been being has have had "
        "exactly exact precisely out tell me please say said according kind sort"
    )
)
# A scope naming the corpus itself ("according to the articles") restricts nothing.
_GENERIC_SOURCES = frozenset(
    analyze(
        "article articles report reports source sources story stories news coverage piece pieces publication "
        "publications media press text texts them it this these those you reporting the coverage documents"
    )
)


_TITLES = re.compile(r"\b(Dr|Mr|Mrs|Ms|Prof|Sen|Rep|Gen|Gov|St)\.")


def _scope_terms(text: str) -> tuple[str, ...]:
    text = _TITLES.sub(r"\1", text)  # "Dr. Helena Morrison": the full stop ends no clause
    for pattern in _SCOPE_PATTERNS:
        match = pattern.search(text)
        if match:
            src = re.sub(r"(?:'s|’s)\b.*$", "", match.group("src"))
            terms = tuple(t for t in dict.fromkeys(analyze(src)) if t not in _GENERIC_SOURCES)
            if terms:
                return terms
    return ()


# Interrogatives by their Penn tags (which/what/that, who/what, whose, how/when/where/why); a wh-word in one
# of these clauses relates ("the firm that...", "where the data flowed"), it does not ask.
_WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})
_SUBORDINATE = frozenset({"relcl", "acl", "advcl"})
_FINITE = frozenset({"MD", "VBD", "VBZ", "VBP"})  # the finite verb an inverted question puts before its subject
_NOMINAL = frozenset({"NOUN", "PROPN"})
# The interrogatives that name their answer's kind outright.
_WH_KINDS = {"who": "agent", "whom": "agent", "whose": "agent", "when": "date", "where": "location", "why": "reason"}
# Words that name a kind of answer when a question asks about them ("what date", "how long", "what is the
# number of", "what will it cost"): general English, not any question's wording. A time unit ("which year",
# "how many months", text.UNIT_PATTERN) or a noun spaCy tags as a date or time asks for a date or a duration.
_KIND_WORDS = {
    **dict.fromkeys(("date", "time"), "date"),
    **dict.fromkeys(("long", "duration", "period", "span"), "duration"),
    **dict.fromkeys(("number", "amount", "percentage", "size", "value", "cost", "price", "worth"), "quantity"),
    **dict.fromkeys(("place", "location", "city", "town", "country", "region"), "location"),
    **dict.fromkeys(("reason", "motive", "purpose"), "reason"),
    **dict.fromkeys(("method", "manner"), "manner"),
    "name": "agent",
}
_TIME_UNIT = re.compile(UNIT_PATTERN, re.I)


def _asks(token) -> bool:
    """Whether ``token`` is an interrogative word of the question, not a relative one."""
    if token.tag_ not in _WH_TAGS:
        return False
    clause = token
    while clause.pos_ not in ("VERB", "AUX") and clause.head.i != clause.i:
        clause = clause.head
    if clause.dep_ == "advcl":  # a subordinate "when ..." never inverts; "When was X built?" may be misparsed
        following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else token
        return following.tag_ in _FINITE
    return clause.dep_ not in _SUBORDINATE


def _interrogatives(doc) -> list:
    """The question's interrogative words in order. When the parser took every one for a relative pronoun
    ("According to the report, who was behind it?"), those that open a clause after punctuation."""
    asking = [t for t in doc if _asks(t)]
    return asking or [t for t in doc if t.tag_ in _WH_TAGS and (t.i == t.sent.start or doc[t.i - 1].is_punct)]


def _asked_noun(wh):
    """The noun a "which/what" word determines ("which sectors", "what time span", "in which city"), or None:
    the last noun of the nominal run right after it (the parser does not always attach the determiner)."""
    if wh.dep_ != "det" and wh.tag_ != "WDT":
        return None
    noun = None
    for token in wh.doc[wh.i + 1 : wh.sent.end]:
        if token.pos_ in _NOMINAL:
            noun = token
        elif token.pos_ not in ("ADJ", "NUM") and token.tag_ != "HYPH":
            break
    if noun is None and wh.dep_ == "det" and wh.head.pos_ in _NOMINAL and wh.head.i > wh.i:
        return wh.head
    return noun


def _inversion(wh):
    """(finite verb, subject, main verb or None) when a finite verb and then a subject follow the wh-word
    ("What did the council tell residents?", "What is the population of X?"); None when the wh-word is the
    subject itself ("What was stolen?", "What caused it?")."""
    doc, after = wh.doc, wh.i + 1
    if after >= wh.sent.end or doc[after].tag_ not in _FINITE:
        return None
    finite = doc[after]
    subject = next((t for t in doc[after + 1 : wh.sent.end] if t.dep_ == "nsubj" and t.left_edge.i == after + 1), None)
    if subject is None:
        return None
    verb = next((t for t in doc[subject.right_edge.i + 1 : wh.sent.end] if t.pos_ == "VERB"), None)
    return finite, subject, verb


def _copular_subject(wh):
    """N in "what/who is the N ...?": what the question asks about; None for other forms."""
    inverted = _inversion(wh)
    if inverted is None or inverted[2] is not None or inverted[0].lemma_ != "be":
        return None
    return inverted[1]


def _acts(noun) -> bool:
    """Whether a which/what phrase is the subject of a deed: a verb right after it that has an object ("Which
    firm issued a denial?", "Which company is alleged to have carried out the heist?"); its answer is a doer."""
    doc, after = noun.doc, noun.right_edge.i + 1
    verb = noun.head
    if after >= len(doc) or doc[after].lemma_ == "do":  # "what sanctions did X announce": an object question
        return False
    if after != verb.i and not (doc[after].head.i == verb.i and doc[after].dep_ in ("aux", "auxpass")):
        return False
    if noun.dep_ == "nsubjpass":  # raised: "is alleged/said to have done it"
        verb = next((c for c in verb.children if c.dep_ == "xcomp"), None)
        if verb is None or any(c.dep_ == "auxpass" for c in verb.children):
            return False
    elif noun.dep_ != "nsubj":
        return False
    return any(c.dep_ == "dobj" for c in verb.children)


def _noun_kind(noun) -> str | None:
    if _TIME_UNIT.fullmatch(noun.text) or noun.ent_type_ in ("DATE", "TIME"):
        return "date"
    return _KIND_WORDS.get(noun.lemma_.lower())


def _how_kind(how) -> str:
    """how long -> duration; how many/much/big (an amount or a degree) -> quantity; how did/was -> manner."""
    doc = how.doc
    degree = doc[how.i + 1] if how.i + 1 < len(doc) else None
    if degree is None or how.head.i != degree.i or degree.pos_ not in ("ADJ", "ADV"):
        return "manner"
    kind = _KIND_WORDS.get(degree.lemma_.lower())
    if kind:
        return kind
    if degree.dep_ == "amod" and degree.head.pos_ == "NOUN":  # "how many months": a count of time units
        return "duration" if _TIME_UNIT.fullmatch(degree.head.text) else "quantity"
    return "manner" if degree.dep_ == "advmod" else "quantity"  # "how exactly/far did" vs "how big was"


def _kind(wh) -> str | None:
    """The kind of answer one interrogative word asks for (see ``_answer_type``)."""
    word = wh.lower_
    if word in _WH_KINDS:
        return _WH_KINDS[word]
    if word == "how":
        return _how_kind(wh)
    noun = _asked_noun(wh)
    if noun is not None:
        return _noun_kind(noun) or ("agent" if _acts(noun) else None)
    subject = _copular_subject(wh)
    kind = _noun_kind(subject) if subject is not None else None
    inverted = _inversion(wh)
    last = next((t for t in reversed(wh.sent) if not t.is_punct), wh)
    if kind is None and inverted is not None and last.i >= inverted[1].i and last.dep_ != "pobj":
        kind = _KIND_WORDS.get(last.lemma_.lower())  # stranded at the end: "what was it worth?", "what will it cost?"
    return kind


def _answer_type(asking: list) -> str | None:
    """The kind of answer the question's first interrogative asks for: "duration", "date", "quantity",
    "reason", "location", "agent", "manner" (the names of ``text.SENTENCE_SHAPES``), or None."""
    return _kind(asking[0]) if asking else None


def _agent_like(subject) -> bool:
    """A noun phrase or a third-person pronoun that can refer to people ("he", "they"; not "it", "this")."""
    if subject.pos_ in _NOMINAL:
        return True
    morph = subject.morph
    return subject.tag_ == "PRP" and morph.get("Person") == ["3"] and morph.get("Gender") != ["Neut"]


def _open_content(wh) -> bool:
    """Whether the question asks for open content: "what" is an object of the main verb and its subject can
    act ("What did X say/do/want?"), so the answer is statements or deeds, several of them true at once."""
    inverted = _inversion(wh)
    if inverted is None or not _agent_like(inverted[1]):
        return False
    finite, _, verb = inverted
    if verb is None:  # do-support promises a main verb, whatever the tagger made of it; "what is X?" has none
        return finite.lemma_ == "do"
    if any(c.dep_ == "auxpass" for c in verb.children) or (finite.lemma_ == "be" and verb.tag_ == "VBN"):
        return False  # passive: "what is X quoted as saying", one thing
    # "What did X compare Y to?": with an object of its own the verb leaves the wh-word an oblique, one value.
    stranded = any(c.dep_ == "prep" and not any(g.i > c.i for g in c.children) for c in verb.children)
    return not (stranded and any(c.dep_ == "dobj" for c in verb.children))


def _several(wh) -> bool:
    """Whether this interrogative asks for a list: a plural noun ("which sectors", "what are the risks"),
    a coordinated one ("which minister and which adviser"), or open content ("what did X say?")."""
    noun = _asked_noun(wh) if wh.tag_ != "WP$" else None  # "whose systems": one owner
    noun = noun if noun is not None else _copular_subject(wh)
    if noun is not None:
        plural = noun.tag_ in ("NNS", "NNPS")
        return plural or any(c.dep_ == "cc" and c.lower_ == "and" for c in noun.children)
    return _kind(wh) is None and _open_content(wh)


def _role(token) -> str | None:
    """A token's role in its clause: "subject" (a possessive counts: "his team" is his), "object", or None."""
    if token.dep_ in ("nsubj", "nsubjpass") or token.morph.get("Poss") == ["Yes"]:
        return "subject"
    return "object" if token.dep_ in ("dobj", "dative", "pobj") else None


def _stands_for_answer(pronoun, before) -> bool:
    """Whether a pronoun stands for what the earlier part asks: it has the role the earlier part's wh-phrase
    has ("Who founded X and when did they sell it?": "they" are the founders, "it" is X; "What did X announce
    and when did they announce it?": "it" is what was announced). "Who is X and what did she say?" asks who X
    is, so there "she" is X."""
    main = before[-1].head  # the verb the "and" joins to
    if main.i >= before.end or main.pos_ not in ("VERB", "AUX") or main.lemma_ == "be":
        return False
    asked = {_role(t) for t in before if t.left_edge.tag_ in _WH_TAGS and t.head.i == main.i}
    return _role(pronoun) in asked - {None}


def _agrees(pronoun, token) -> bool:
    number = pronoun.morph.get("Number")
    return not number or (token.tag_ in ("NNS", "NNPS")) == (number == ["Plur"])


def _antecedent(pronoun, before) -> str | None:
    """The name a third-person pronoun stands for, from the question before it: its first named entity that
    agrees (he/she a person, it not), else its first proper-noun phrase, else its subject noun phrase."""
    if _stands_for_answer(pronoun, before):
        return None
    gender = pronoun.morph.get("Gender")
    for ent in before.ents:
        if gender in (["Masc"], ["Fem"]) and ent.label_ != "PERSON" or gender == ["Neut"] and ent.label_ == "PERSON":
            continue
        start, end = ent.start, ent.end  # the whole proper name when the recogniser took part of it
        while start > before.start and before.doc[start - 1].pos_ == "PROPN":
            start -= 1
        while end < before.end and before.doc[end].pos_ == "PROPN":
            end += 1
        return before.doc[start:end].text
    for chunk in before.noun_chunks:
        if chunk.root.pos_ == "PROPN" and chunk[0].tag_ not in _WH_TAGS:
            return chunk.text
    for token in before:
        if token.dep_ in ("nsubj", "nsubjpass") and token.pos_ in _NOMINAL and _agrees(pronoun, token):
            phrase = before.doc[token.left_edge.i : token.right_edge.i + 1]
            if phrase[0].tag_ not in _WH_TAGS:
                return phrase[0].lower_ + phrase.text[len(phrase[0]) :] if phrase[0].pos_ == "DET" else phrase.text
    return None


def _with_names(part, before) -> str:
    """``part``'s text with each third-person pronoun replaced by the name it stands for ("she" -> "Eleanor
    Marsh", "her" (possessive) -> "Eleanor Marsh's"), decided by spaCy's tags (PRP, PRP$) and morphology."""
    out = []
    for token in part:
        morph = token.morph
        name = None
        if token.tag_ in ("PRP", "PRP$") and morph.get("Person") == ["3"] and morph.get("Reflex") != ["Yes"]:
            name = _antecedent(token, before)
        if name is None:
            out.append(token.text_with_ws)
        else:
            out.append(name + ("'s" if morph.get("Poss") == ["Yes"] else "") + token.whitespace_)
    return "".join(out)


def _parts(doc, text: str) -> tuple[str, ...]:
    # A question that asks two things ("Who is X and what did she warn about?"): "and" then an interrogative.
    breaks = [t.i for t in doc[1:-1] if t.lower_ == "and" and _asks(doc[t.i + 1])]
    # each part a clause of its own: "Which mayor and which councillor resigned?" asks one thing
    verbs = [t.i for t in doc if t.pos_ in ("VERB", "AUX")]
    bounds = list(zip([0, *(b + 1 for b in breaks)], [*breaks, len(doc)]))
    if not all(any(start <= v < end for v in verbs) for start, end in bounds):
        return (text,)
    parts = []
    for start, end in bounds:
        span = doc[start:end]
        part = (span.text if start == 0 else _with_names(span, doc[:start])).strip(" ,;")
        if part:
            parts.append(part)
    if len(parts) < 2:
        return (text,)
    return tuple(p[:1].upper() + p[1:].rstrip("?") + "?" for p in parts)


def question_parts(text: str) -> tuple[str, ...]:
    """The parts of a question that asks several things, each a question of its own (a pronoun standing for
    a name in an earlier part replaced by that name); one part otherwise."""
    return _parts(language.parse(text), text)


def check_question(text: object) -> str:
    """The question, whitespace collapsed, or BadQuestion: every way a question can be refused, told without
    parsing it (so a caller can start loading the model once it knows the question stands)."""
    if not isinstance(text, str):
        raise BadQuestion("the question must be text")
    cleaned = flatten(text)
    if not cleaned:
        raise BadQuestion("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(cleaned)} characters long; the limit is {MAX_QUESTION_CHARS}")
    if not any(ch.isalnum() for ch in cleaned):
        raise BadQuestion("the question has no words in it")
    return cleaned


def parse_question(text: object) -> Question:
    cleaned = check_question(text)
    doc = language.parse(cleaned)  # the one parse of this question (cached): form, type and parts
    asking = _interrogatives(doc)
    return Question(
        text=cleaned,
        answer_type=_answer_type(asking),
        terms=tuple(t for t in dict.fromkeys(analyze(cleaned)) if t not in _QUESTION_WORDS),
        scope_terms=_scope_terms(cleaned),
        several=any(_several(t) for t in asking),
        parts=_parts(doc, cleaned),
    )
