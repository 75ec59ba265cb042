"""Storydesk: source-grounded answers over news articles that contradict each other.

from assistant import Assistant
answer = Assistant().ask("How long did the intrusion last?")
answer.text, answer.citations, answer.conflicts, answer.to_dict()
"""

from .api import Assistant
from .errors import BackendUnavailable, BadQuestion, CorpusError, ModelError, StorydeskError
from .settings import (
    AcceptSettings,
    CorpusLimits,
    GatherSettings,
    InjectionSettings,
    ReadingSettings,
    RetrievalSettings,
    RetrievalWeights,
    Settings,
)
from .types import AddedArticles, Answer, Citation, Conflict, Event, Position

__all__ = [
    "Assistant",
    "Settings",
    "RetrievalSettings",
    "RetrievalWeights",
    "ReadingSettings",
    "AcceptSettings",
    "InjectionSettings",
    "GatherSettings",
    "CorpusLimits",
    "Event",
    "AddedArticles",
    "Answer",
    "Citation",
    "Conflict",
    "Position",
    "StorydeskError",
    "BadQuestion",
    "CorpusError",
    "ModelError",
    "BackendUnavailable",
]

__version__ = "0.1.0"
