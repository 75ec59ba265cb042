"""Storydesk: source-grounded answers over news articles that contradict each other.

from assistant import Assistant
answer = Assistant().ask("How long did the intrusion last?")
answer.text, answer.citations, answer.conflicts, answer.to_dict()
"""

from .answer import Settings
from .api import Assistant
from .corpus import CorpusLimits
from .errors import BackendUnavailable, BadQuestion, CorpusError, ModelError, StorydeskError
from .types import AddedArticles, Answer, Citation, Conflict, Position

__all__ = [
    "Assistant",
    "Settings",
    "CorpusLimits",
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
