"""Every failure a user can cause or meet, each with a one-line message.

The CLI prints ``str(error)`` and exits non-zero; the library raises these, so callers can tell a
bad corpus from a dead endpoint without parsing text.
"""

__all__ = [
    "StorydeskError",
    "BadQuestion",
    "CorpusError",
    "ModelError",
    "BackendUnavailable",
    "BadModelReply",
    "StoreError",
]


class StorydeskError(Exception):
    """Base class: the message is a single line meant for the user."""

    exit_code = 2


class BadQuestion(StorydeskError):
    """The question is empty, too long, or not text."""


class CorpusError(StorydeskError):
    """The corpus directory is missing, empty, or holds a file that is not UTF-8 text."""


class ModelError(StorydeskError):
    """The model file is missing, incomplete, or fails its checksum."""


class BackendUnavailable(StorydeskError):
    """The model backend cannot be reached or refused the request."""

    exit_code = 3


class BadModelReply(StorydeskError):
    """The model answered, but not in the form asked for: no JSON object where a schema was given, or
    one cut off by the length limit. The backend works; this reply cannot be used."""

    exit_code = 4


class StoreError(StorydeskError):
    """The index store cannot be used: a database that cannot be reached, or one whose vectors another encoder
    made."""
