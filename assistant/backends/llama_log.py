"""llama.cpp's own log, routed through Python logging (``storydesk.llama_cpp``) instead of silenced.

llama-cpp-python's ``verbose=False`` points file descriptors 1 and 2 at /dev/null, for the whole process,
while a model loads: whatever another thread prints meanwhile (an answer given before the model was
needed) is lost. So the model loads with ``verbose=True``; llama.cpp's lines go through its log callback
and the ``llama`` module's own start-up prints through a module-local ``sys`` (``QuietSys``).
"""

from __future__ import annotations

import ctypes
import logging

__all__ = ["route_llama_log", "QuietSys", "llama_log"]

llama_log = logging.getLogger("storydesk.llama_cpp")  # llama.cpp's own log lines, at DEBUG
_LOG_LEVELS = {3: logging.INFO, 4: logging.WARNING}  # ggml_log_level warn, error; debug, info, "continued": DEBUG
_log_callback = None  # kept referenced: llama.cpp calls it for as long as the process lives


def route_llama_log() -> None:
    """Send llama.cpp's log through Python logging (DEBUG; its warnings at INFO, errors at WARNING) instead of
    silencing it the way llama-cpp-python's ``verbose=False`` does: that points file descriptors 1 and 2 at
    /dev/null for the whole process while a model loads, so whatever another thread prints then (an answer
    given before the model was needed) is lost."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    def forward(level: int, text: bytes, _user_data) -> None:
        line = text.decode("utf-8", "replace").rstrip()
        if line:
            llama_log.log(_LOG_LEVELS.get(level, logging.DEBUG), "%s", line)

    _log_callback = llama_cpp.llama_log_callback(forward)
    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


class QuietSys:
    """``sys`` as llama-cpp-python's ``llama`` module sees it while a model loads with ``verbose=True``:
    its start-up prints (system info, model metadata) go to the log, not to the process's stderr."""

    def __init__(self, real) -> None:
        self._real = real
        self.stderr = self.stdout = _LogWriter()

    def __getattr__(self, name: str):
        return getattr(self._real, name)


class _LogWriter:
    def write(self, text: str) -> int:
        if text.strip():
            llama_log.debug("%s", text.rstrip())
        return len(text)

    def flush(self) -> None:
        pass
