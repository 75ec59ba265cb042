"""Deterministic synthetic news archives for bench/scale.py: several stories, each a local event covered by
hundreds of articles, with planted facts on which the articles agree or disagree.

Every story is an event of some kind (a flood, a fire, a data breach …) in an invented town, and carries
three planted facts, each asked by a question: one the articles agree on, two on which they split (a
minority of 20-45 %, drawn per story). An article states one to three of its story's facts, each on its side
(chosen once per article and fact), among filler sentences written from the story's own names. Stories of the
same kind in different towns share every word but the names, so a question must find its town's articles.

``articles(n, seed)`` writes everything from templates. ``recombined(base, n, seed)`` makes ``n`` further
articles of the same stories from the sentences of ``base`` only (a fact sentence keeps its side), so each of
their sentences has the vector it has in ``base``: bench/scale.py embeds ``base`` for real and looks the rest
up. Nothing is downloaded; the same seed gives the same archive.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["Story", "Article", "articles", "recombined", "questions"]

_SYLLABLES = "bar bel cor dan del fen gar hal har kel kin lor mar mel nor pen ros sal tor val wen wil".split()
_SUFFIXES = "ford ton bury mouth field wick stead haven bridge dale".split()
_FIRST = "Alice Ben Clara David Elena Farid Grace Hugo Ines Jonas Karin Liam Maya Noor Omar Priya Ravi Sara Tom Yuki"
_ROLES = ["a spokesperson", "a director", "an engineer", "an inspector", "a councillor", "a manager"]
_ADJECTIVES = "slow adequate chaotic swift careful uneven thorough hesitant".split()
_PLACES = "town hall library station market square harbour school hospital depot".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()

# kind -> (event noun, agency kind, causes)
_KINDS = {
    "flood": ("flood", "Water Board", ["a burst dam", "days of heavy rain", "a blocked culvert", "a failed pump"]),
    "fire": ("factory fire", "Fire Service", ["an electrical fault", "arson", "a gas leak", "a discarded cigarette"]),
    "breach": ("data breach", "Health Trust", ["a phishing email", "a stolen laptop", "an unpatched server"]),
    "collapse": ("bridge collapse", "Roads Agency", ["corroded cables", "an overloaded lorry", "a design flaw"]),
    "derailment": ("train derailment", "Rail Authority", ["a broken rail", "excessive speed", "a signal failure"]),
    "leak": ("chemical leak", "Environment Office", ["a cracked tank", "a valve failure", "a road accident"]),
}

_FACTS = {
    "toll": (
        "How many people died in the {event} in {town}?",
        ["{v} people died in the {event} in {town}, {source} said.", "The {event} killed {v} people, {source} said."],
    ),
    "cause": (
        "What caused the {event} in {town}?",
        ["The {event} in {town} was caused by {v}, {source} said.", "{Source} blamed the {event} on {v}."],
    ),
    "day": (
        "On which day did the {event} in {town} happen?",
        ["The {event} in {town} happened on {v}, {source} said.", "{Source} said the {event} began on {v}."],
    ),
    "cost": (
        "How much will the repairs after the {event} in {town} cost?",
        [
            "Repairs after the {event} in {town} will cost {v}, {source} said.",
            "{Source} put the cost of repairs at {v}.",
        ],
    ),
}

_HEADLINES = ["{event} in {town}: what we know", "{event} in {town}", "{town} counts the cost of {event}"]
_FILLER = [  # most carry a number, so that sentences rarely repeat (a repeated sentence is embedded once)
    "About {n} residents of {town} gathered outside the {place} on {day} evening.",
    "{person}, {role} at the {agency}, said the response had been {adj}.",
    "The {agency} opened a help line for families in {town}, taking {n} calls on the first day.",
    "Schools in {town} stayed closed while {n} workers cleared the area.",
    "{person} told reporters that {n} households had asked for help.",
    "Volunteers handed out {n} meals and blankets near the {place}.",
    "Local shops in {town} reported a fall in trade of {p} per cent.",
    "The council of {town} will meet again in {d} days.",
    "{person} said the {agency} had warned about the risk {d} months ago.",
    "Traffic around the {place} was diverted for {d} hours.",
    "Insurers said {n} claims from {town} were still being assessed.",
    "An inquiry into the {event} is expected to report within {d} months.",
    "{person} said {n} people had been moved to the {place} overnight.",
    "A fund for {town} has raised {n} pounds since {day}.",
    "The {agency} said {n} staff had worked through the night.",
    "{person} described the mood near the {place} as {adj}.",
]


@dataclass
class Story:
    number: int
    kind: str
    town: str
    event: str
    agency: str
    people: list[str]
    facts: dict[str, list[str]]  # fact -> its values: one (agreed) or two (majority first)
    minority: dict[str, float] = field(default_factory=dict)  # fact -> share of articles on the second value


@dataclass
class Article:
    doc_id: str
    story: int
    headline: str
    paragraphs: list[list[tuple[str, str, int]]]  # sentences as (text, fact or "", side)

    @property
    def text(self) -> str:
        body = "\n".join(" ".join(s for s, _, _ in p) for p in self.paragraphs)
        return f"{self.headline}\n{body}\n"

    def sides(self) -> dict[str, int]:
        return {fact: side for p in self.paragraphs for _, fact, side in p if fact}


def _word(rng: random.Random) -> str:
    return "".join(rng.sample(_SYLLABLES, 2))


def _stories(n: int, seed: int) -> list[Story]:
    rng = random.Random(seed)
    stories, towns = [], set()
    kinds = sorted(_KINDS)
    for number in range(n):
        town = ""
        while not town or town in towns:
            town = (_word(rng) + rng.choice(_SUFFIXES)).capitalize()
        towns.add(town)
        kind = kinds[number % len(kinds)]
        event, agency, causes = _KINDS[kind]
        people = [f"{rng.choice(_FIRST.split())} {_word(rng).capitalize()}" for _ in range(8)]
        toll = rng.sample(range(2, 60), 2)
        values = {
            "toll": [str(t) for t in toll],
            "cause": rng.sample(causes, 2),
            "day": rng.sample(_DAYS, 2),
            "cost": [f"£{m} million" for m in rng.sample(range(2, 90), 2)],
        }
        agreed, *split = rng.sample(sorted(values), 3)
        facts = {agreed: values[agreed][:1]} | {f: values[f] for f in split}
        minority = {f: round(rng.uniform(0.2, 0.45), 2) for f in split}
        stories.append(Story(number, kind, town, event, f"{town} {agency}", people, facts, minority))
    return stories


def _fill(template: str, story: Story, rng: random.Random, **extra) -> str:
    source = rng.choice([rng.choice(story.people), f"the {story.agency}", "officials", "police"])
    text = template.format(
        town=story.town,
        event=story.event,
        agency=story.agency,
        person=rng.choice(story.people),
        role=rng.choice(_ROLES),
        adj=rng.choice(_ADJECTIVES),
        place=rng.choice(_PLACES),
        day=rng.choice(_DAYS),
        n=rng.randint(12, 4000),
        d=rng.randint(2, 30),
        p=rng.randint(5, 60),
        source=source,
        Source=source[0].upper() + source[1:],
        **extra,
    )
    return text[0].upper() + text[1:]


def _article(doc_id: str, story: Story, rng: random.Random) -> Article:
    stated = rng.sample(sorted(story.facts), rng.randint(1, min(3, len(story.facts))))
    facts = []
    for fact in stated:
        side = int(len(story.facts[fact]) > 1 and rng.random() < story.minority[fact])
        template = rng.choice(_FACTS[fact][1])
        facts.append((_fill(template, story, rng, v=story.facts[fact][side]), fact, side))
    paragraphs = [[facts[0]]]
    fillers = [(_fill(t, story, rng), "", 0) for t in rng.sample(_FILLER, rng.randint(4, 8))]
    for sentence in facts[1:] + fillers:
        if len(paragraphs[-1]) >= rng.randint(1, 3):
            paragraphs.append([])
        paragraphs[-1].append(sentence)
    headline = rng.choice(_HEADLINES).format(event=story.event.capitalize(), town=story.town)
    return Article(doc_id, story.number, headline, paragraphs)


def _stories_for(n_articles: int) -> int:
    return max(4, n_articles // 500)  # a story per 500 articles: every question has hundreds of matching articles


def articles(n: int, seed: int = 11) -> tuple[list[Story], list[Article]]:
    stories = _stories(_stories_for(n), seed)
    rng = random.Random(seed + 1)
    return stories, [_article(f"a{i:06d}", stories[i % len(stories)], rng) for i in range(n)]


def recombined(base: list[Article], stories: list[Story], n: int, seed: int = 12) -> list[Article]:
    """``n`` articles more of ``stories``, each made of sentences of ``base`` articles of its story only."""
    rng = random.Random(seed)
    pools: dict[int, dict] = {}
    for a in base:
        pool = pools.setdefault(a.story, {"filler": [], "facts": {}, "headlines": set()})
        pool["headlines"].add(a.headline)
        for p in a.paragraphs:
            for s in p:
                (pool["facts"].setdefault((s[1], s[2]), []) if s[1] else pool["filler"]).append(s)
    out = []
    for i in range(n):
        story = stories[i % len(stories)]
        pool = pools[story.number]
        stated = rng.sample(sorted({f for f, _ in pool["facts"]}), rng.randint(1, 3))
        facts = []
        for fact in stated:
            side = int(len(story.facts[fact]) > 1 and rng.random() < story.minority[fact])
            facts.append(rng.choice(pool["facts"].get((fact, side)) or pool["facts"][(fact, 0)]))
        paragraphs = [[facts[0]]]
        fillers = sorted(set(pool["filler"]))
        for sentence in facts[1:] + rng.sample(fillers, min(len(fillers), rng.randint(4, 8))):
            if len(paragraphs[-1]) >= rng.randint(1, 3):
                paragraphs.append([])
            paragraphs[-1].append(sentence)
        headline = rng.choice(sorted(pool["headlines"]))
        out.append(Article(f"r{i:06d}", story.number, headline, paragraphs))
    return out


def questions(stories: list[Story]) -> list[dict]:
    """Per story and planted fact: the question, the values the articles give, and whether they disagree."""
    out = []
    for story in stories:
        for fact, values in story.facts.items():
            text = _FACTS[fact][0].format(event=story.event, town=story.town)
            out.append({"story": story.number, "fact": fact, "question": text, "values": values})
    return out
