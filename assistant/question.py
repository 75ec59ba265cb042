"""What a question asks: its asked-for kind, the names it is about, its parts, any explicit source.

Read from spaCy's dependency parse (``language.py``), not from wording patterns: the interrogative
word and what it attaches to give the kind ("how many" -> a count, "which newspaper" -> a thing whose
focus noun is "newspaper"); coordinated interrogative clauses give the parts ("who is X and what does
he argue?" -> two questions); an "according to X" phrase or a document noun owned by X ("X's report",
"the piece by X") gives an explicit scope. People and organisations the question asks *about* are
never a scope. Sentences around the question that are not questions (instructions addressed to the
assistant, "notes" planted in the question) are set aside and never reach the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import language
from .errors import BadQuestion
from .text import analyze

__all__ = ["Question", "parse_question", "check_question", "MAX_QUESTION_CHARS", "STRICT_KINDS", "ANCHORED_KINDS",
           "ANSWER_LABELS"]

MAX_QUESTION_CHARS = 2000

# Kinds whose answers must carry a value of a particular sort (checked on the recogniser's labels).
STRICT_KINDS = {
    "count": frozenset({"CARDINAL", "QUANTITY", "PERCENT", "MONEY"}),
    "duration": frozenset({"DATE", "TIME"}),
    "time": frozenset({"DATE", "TIME"}),
}
# Kinds whose answer is anchored on an entity when the sentence has one ("where" -> a place or body).
ANCHORED_KINDS = {"place": frozenset({"GPE", "LOC", "FAC", "ORG"})}
# Entity labels a sentence holding an answer of each kind is likely to carry (a retrieval hint only).
ANSWER_LABELS = {
    **STRICT_KINDS,
    "amount": frozenset({"CARDINAL", "QUANTITY", "PERCENT", "MONEY"}),
    "actor": frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    "place": frozenset({"GPE", "LOC", "FAC", "ORG"}),
}
_WANTS = {
    "count": "a number", "duration": "a length of time", "time": "a date or time", "amount": "an amount",
    "actor": "a person, group or organisation", "place": "a place", "reason": "a reason or cause",
    "manner": "how it was done, or what was done", "statement": "what someone said or called for",
    "polar": "yes or no, or which of the options", "thing": "what the question asks for",
}
_WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})
# "how X": the word after "how" decides what is measured.
_HOW = {"long": "duration", "many": "count", "much": "amount", "often": "count", "old": "amount", "far": "amount",
        "big": "amount", "large": "amount", "high": "amount", "soon": "time"}
_WH = {"who": "actor", "whom": "actor", "whose": "actor", "when": "time", "where": "place", "why": "reason"}
# Focus nouns that make "what/which N" a question about time or a count.
_TIME_NOUNS = frozenset("date day year month time week decade century hour period".split())
_COUNT_NOUNS = frozenset("number population count total percentage proportion share".split())
# Verbs of saying: "what did X say/argue/call for" asks for statements, which add up rather than conflict.
_SAYING = frozenset(
    "say tell argue claim warn state write describe call announce add insist suggest propose demand urge allege "
    "comment explain believe think predict recommend ask note stress admit deny reply respond quote mean".split())
# Nouns naming a document or statement: "X's report", "the piece by X" restrict the question to X.
_DOCUMENTS = frozenset(
    "article piece report story column op-ed editorial statement alert brief briefing release complaint account "
    "assessment post blog interview letter filing analysis commentary essay dispatch".split())
# Interrogatives and auxiliaries carry no content; as search terms they only add noise.
_QUESTION_WORDS = frozenset(analyze(
    "who whom whose what which when where why how did does do done was were is are be been being has have had "
    "exactly exact precisely tell me please say said according kind sort so actually"
))
# A scope naming the corpus itself ("according to the articles") restricts nothing.
_GENERIC_SOURCES = frozenset(analyze(
    "article articles report reports source sources story stories news coverage piece pieces publication "
    "publications media press text texts them it this these those you reporting documents paper papers"
))
_DOCUMENT_TERMS = frozenset(analyze(" ".join(_DOCUMENTS)))
_PRONOUNS = {"he": "", "she": "", "they": "", "him": "", "her": "", "them": "", "it": "", "his": "’s", "its": "’s",
             "their": "’s", "hers": "’s"}


@dataclass(frozen=True)
class Question:
    text: str  # as asked, whitespace collapsed: what the answer echoes
    ask: str  # what is asked: the interrogative sentences, with anything around them set aside
    kind: str | None = None  # count duration time amount actor place reason manner statement polar thing
    focus: str = ""  # the asked-for noun: "newspaper" in "which newspaper…", "population" in "what is the population"
    names: tuple[str, ...] = ()  # people, organisations and places the question is about
    terms: tuple[str, ...] = ()  # stemmed content terms, for retrieval
    scope_terms: tuple[str, ...] = ()  # stemmed terms of the source the question explicitly restricts to
    parts: tuple["Question", ...] = field(default=())  # the questions a compound question coordinates
    set_aside: tuple[str, ...] = ()  # sentences that were not questions (never shown to the model)
    predicate: str = ""  # the lemma of the verb the interrogative is an argument of ("accuse")
    role: str = ""  # which argument it asks for: "agent" (who accused) or "patient" (who was accused)

    @property
    def wants(self) -> str:
        """What kind of answer the question asks for, in words (for the model's answer check)."""
        if self.kind == "thing" and self.focus:
            return f"the {self.focus}"
        return _WANTS.get(self.kind or "", "what the question asks for")

    @property
    def strict(self) -> bool:
        """Its answers must hold a value of a set sort (a count for "how many", a date for "when")."""
        return self.kind in STRICT_KINDS

    @property
    def complementary(self) -> bool:
        """Answers add up instead of competing: several things someone said or called for."""
        return self.kind == "statement"

    def accepts(self, labels: frozenset[str] | set[str], has_digit: bool = False) -> bool:
        """Can a phrase with these entity labels answer this question at all? (A necessary condition.)"""
        needed = STRICT_KINDS.get(self.kind or "")
        return needed is None or bool(needed & set(labels)) or (has_digit and self.kind != "time")


def check_question(text: object) -> str:
    """The question with its whitespace collapsed; BadQuestion (one line) for empty, over-long or wordless input."""
    return _clean(text)


def _clean(text: object) -> str:
    if not isinstance(text, str):
        raise BadQuestion("the question must be text")
    cleaned = " ".join("".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text).split())
    if not cleaned:
        raise BadQuestion("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(cleaned)} characters long; the limit is {MAX_QUESTION_CHARS}")
    if not any(ch.isalnum() for ch in cleaned):
        raise BadQuestion("the question has no words in it")
    return cleaned


def _is_interrogative(sent) -> bool:
    """A question by its form: an interrogative word opening a clause, or an inverted auxiliary. A
    statement with a question mark ("The Guardian values it at $10bn?") is not one."""
    words = [t for t in sent if not t.is_punct and not t.is_space]
    if not words:
        return False
    if _is_inverted(words[0], sent):
        return True  # "did GCHQ do anything?", "was it GCHQ or the NCSC?"
    return _wh_token(sent) is not None


def _question_of(sent) -> str:
    """The interrogative itself: whatever comes before its opening word in the sentence ("Then tell me:",
    "lead with that]]") is not part of it. A preposition that belongs to it stays ("On what date…")."""
    wh = _wh_token(sent)
    first = next((t for t in sent if not t.is_punct and not t.is_space), None)
    if wh is None or first is None or first.i >= wh.i or _is_inverted(first, sent):
        return sent.text.strip()
    begin = wh.i
    while begin > sent.start and sent.doc[begin - 1].tag_ in ("IN", "TO") and not sent.doc[begin - 1].is_punct:
        begin -= 1
    before = sent.doc[begin - 1]
    if before.is_punct and before.text != ",":  # a comma joins a fronted "According to X," to its question
        return sent.doc[begin : sent.end].text.strip()
    return sent.text.strip()


def _is_inverted(first, sent) -> bool:
    return first.tag_ in ("MD", "VBD", "VBZ", "VBP") and first.i <= sent.root.i


def _wh_token(doc):
    """The interrogative word: one that opens its clause (only prepositions, conjunctions or adverbs before
    it since the last punctuation), which tells "who was behind it?" from "the firm which denied it".
    ``doc`` is a parsed text or one sentence of it."""
    start = getattr(doc, "start", 0)
    for t in doc:
        if t.tag_ not in _WH_TAGS or t.lower_ == "that":
            continue
        before = t.doc[t.i - 1] if t.i > start else None
        while before is not None and before.tag_ in ("IN", "CC", "RB", "TO") and not before.is_punct:
            before = t.doc[before.i - 1] if before.i > start else None
        if before is None or before.is_punct:
            return t
    return None


def _kind_and_focus(doc) -> tuple[str | None, str]:
    wh = _wh_token(doc)
    root = next((t for t in doc if t.dep_ == "ROOT"), doc[0])
    if wh is None:
        first = next((t for t in doc if not t.is_punct), doc[0])
        polar = first.tag_ in ("MD", "VBD", "VBZ", "VBP") and first.i <= root.i
        return ("polar" if polar else None), ""
    word = wh.lower_
    if word == "how":
        nxt = doc[wh.i + 1] if wh.i + 1 < len(doc) else None
        if nxt is not None and nxt.lower_ in _HOW:
            return _HOW[nxt.lower_], ""
        return "manner", ""
    if word in _WH:
        return _WH[word], ""
    # what / which: a determiner of a noun ("which newspaper"), or a pronoun ("what is the population of…")
    focus_token = wh.head if wh.dep_ == "det" or (wh.head.pos_ in ("NOUN", "PROPN") and wh.head.i == wh.i + 1) else None
    if focus_token is None and root.lemma_ == "be":
        focus_token = next((t for t in root.children if t.dep_ in ("nsubj", "attr") and t.i != wh.i
                            and t.pos_ in ("NOUN", "PROPN")), None)
    focus = focus_token.lower_ if focus_token is not None else ""
    if focus in _TIME_NOUNS:
        return "time", focus
    if focus in _COUNT_NOUNS:
        return "count", focus
    if root.lemma_.lower() in _SAYING and (focus_token is None or focus_token.dep_ in ("dobj", "nsubj")):
        return "statement", focus
    return "thing", focus


def _role(doc) -> tuple[str, str]:
    """(verb lemma, "agent" | "patient") for a who/what question that is an argument of a verb."""
    wh = _wh_token(doc)
    if wh is None or wh.lower_ not in ("who", "whom", "what", "which"):
        return "", ""
    token = wh.head if wh.dep_ == "det" else wh
    verb = token.head
    if verb.pos_ not in ("VERB", "AUX") or verb.lemma_ in ("be", "have", "do"):
        return "", ""
    if token.dep_ in ("nsubjpass", "dobj"):
        return verb.lemma_.lower(), "patient"
    if token.dep_ == "nsubj":
        return verb.lemma_.lower(), "agent"
    return "", ""


def _names(doc) -> tuple[str, ...]:
    names = [e.text for e in doc.ents if e.label_ in language.NAME_LABELS]
    # The recogniser misses unfamiliar proper nouns ("GCHQ", "Tyro"); runs of them are names too.
    run: list[str] = []
    for t in list(doc) + [None]:
        if t is not None and t.tag_ in ("NNP", "NNPS") and t.i > 0:
            run.append(t.text)
        elif run:
            phrase = " ".join(run)
            if not any(phrase in n or n in phrase for n in names):
                names.append(phrase)
            run = []
    return tuple(dict.fromkeys(names))


def _scope(doc) -> tuple[str, ...]:
    """Terms of the source an explicit restriction names: "according to X", "X's report", "the piece by X"."""
    for t in doc:
        if t.lower_ == "according":
            to = next((c for c in t.children if c.lower_ == "to"), None)
            to = to if to is not None else (doc[t.i + 1] if t.i + 1 < len(doc) else None)
            objects = [c for c in to.children if c.dep_ == "pobj"] if to is not None else []
            if objects:
                return _source_terms(objects[0])
        if t.lower_ in _DOCUMENTS and t.pos_ == "NOUN":
            owner = next((c for c in t.children if c.dep_ == "poss"), None)
            if owner is not None:
                return _source_terms(owner)
            by = next((d for d in t.subtree if d.lower_ == "by" and d.dep_ in ("agent", "prep")), None)
            pobj = next((c for c in by.children if c.dep_ == "pobj"), None) if by is not None else None
            if pobj is not None:
                return _source_terms(pobj)
    return ()


def _source_terms(token) -> tuple[str, ...]:
    """The source's own words: its noun phrase without a clause hung on it or the document noun itself."""
    skip = {d.i for c in token.children if c.dep_ in ("relcl", "acl", "punct") for d in c.subtree}
    text = " ".join(t.text for t in token.subtree if t.i not in skip and t.dep_ != "case")
    return tuple(t for t in dict.fromkeys(analyze(text)) if t not in _GENERIC_SOURCES and t not in _DOCUMENT_TERMS)


def _split_parts(doc) -> list[str]:
    """Coordinated interrogative clauses, each as a question of its own ("who is X and what…?")."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return []
    joined = [c for c in root.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")
              and any(d.tag_ in _WH_TAGS for d in c.subtree)]
    if not joined:
        return []
    cut = min(c.left_edge.i for c in joined)
    while cut > 0 and (doc[cut - 1].dep_ == "cc" or doc[cut - 1].is_punct):
        cut -= 1
    first = doc[:cut].text.strip(" ,;")
    rest = [doc[c.left_edge.i : c.right_edge.i + 1].text.strip(" ,;?") for c in joined]
    return [first.rstrip("?") + "?"] + [r + "?" for r in rest]


def _resolve_pronouns(text: str, name: str) -> str:
    """'what does he argue?' after 'who is Julian Vane' -> 'what does Julian Vane argue?'."""
    doc = language.parse(text)
    out = []
    for t in doc:
        if t.lower_ in _PRONOUNS and t.tag_ in ("PRP", "PRP$"):
            out.append(name + _PRONOUNS[t.lower_] + t.whitespace_)
        else:
            out.append(t.text_with_ws)
    return "".join(out)


def _analyse(text: str, original: str, set_aside: tuple[str, ...] = (), with_parts: bool = True) -> Question:
    doc = language.parse(text)
    kind, focus = _kind_and_focus(doc)
    names = _names(doc)
    parts: tuple[Question, ...] = ()
    if with_parts:
        pieces = _split_parts(doc)
        if len(pieces) > 1:
            lead = names[0] if names else ""
            pieces = [pieces[0]] + [_resolve_pronouns(p, lead) if lead else p for p in pieces[1:]]
            parts = tuple(_analyse(p, p, with_parts=False) for p in pieces)
    predicate, role = _role(doc)
    # "how long", "how many": the measure word says what kind of answer is wanted, not what it is about.
    measure = {doc[t.i + 1].lower_ for t in doc[:-1] if t.lower_ == "how" and doc[t.i + 1].lower_ in _HOW}
    skip = _QUESTION_WORDS | set(analyze(" ".join(measure)))
    return Question(
        text=original, ask=text, kind=kind, focus=focus, names=names, predicate=predicate, role=role,
        terms=tuple(t for t in dict.fromkeys(analyze(text)) if t not in skip),
        scope_terms=_scope(doc), parts=parts, set_aside=set_aside,
    )


def parse_question(text: object) -> Question:
    """The question's analysis. Raises BadQuestion (one clear line) for empty, over-long or wordless input."""
    cleaned = _clean(text)
    doc = language.parse(cleaned)
    sentences = list(doc.sents)
    asked = [s for s in sentences if _is_interrogative(s)]
    if asked:
        questions = [_question_of(s) for s in asked]
        aside = tuple(s.text.strip() for s in sentences if s not in asked)
    else:
        questions, aside = [cleaned], ()
    if len(questions) == 1:
        return _analyse(questions[0], cleaned, aside)
    parts = tuple(_analyse(q, q, with_parts=False) for q in questions)
    whole = _analyse(" ".join(questions), cleaned, aside, with_parts=False)
    return Question(**{**whole.__dict__, "parts": parts})
