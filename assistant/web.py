"""The chat page (Gradio): ask, watch progress, click a marker to see its passage, see who disagrees.

One embedded model serves every tab: all model work shares one queue slot (``concurrency_id``),
and waiting users see their place in the queue. Uploads are indexed on a queue of their own, in a
separate process, so they never wait for answers nor make answers wait. Scripts use the ``/chat`` endpoint
(``Client(url).predict("…", api_name="/chat")``), which returns the answer as plain text.

The page has three parts: the layout (``_layout``: which components, where), the handlers (``_Handlers``:
what each event changes, as ``{component: value}``) and the wiring (``_wire``: which event runs which handler).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from . import config
from .api import Assistant
from .errors import StorydeskError
from .render import (
    answer_markdown,
    answer_plain,
    articles_html,
    chat_html,
    conflicts_html,
    map_html,
    sources_html,
)
from .types import PREPARING, Answer, Event

__all__ = ["build_app", "serve", "DEFAULT_EXAMPLES", "MAX_UPLOAD_BYTES"]

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
EXPORTS_KEPT = 20  # Markdown exports kept on disk per page (older ones are deleted)
GRADIO_CACHE_S = 3600  # Gradio's copies of served files are deleted after an hour
DEFAULT_EXAMPLES = [
    "Who is accused of stealing Anthropic's technology?",
    "How long did the intrusion last?",
    "How did the accused company respond?",
    "On what date did the breach begin?",
]
# Stages still at work get an ellipsis on the status line; the ``done`` event shows the answer instead.
_WORKING = frozenset({"searching", "reading", "comparing"})
_BRAND = (
    '<div class="brand"><span class="logo">▤</span> <b>Storydesk</b> '
    '<span class="tagline">answers from your articles, with the exact passages — and who disagrees</span></div>'
)
# What each handler may change (names of ``_Page`` fields); a handler returns only what it changes.
_ASK_OUTPUTS = ("chatbot", "status", "sources", "disagreement", "export", "pin", "conversation", "box")
_CLEAR_OUTPUTS = ("chatbot", "status", "sources", "disagreement", "export", "pin", "conversation")
_UPLOAD_OUTPUTS = ("articles", "upload_note", "files", "map_timer")
_STATIC = Path(__file__).resolve().parent / "web_static"


def _status_line(event: Event) -> str:
    """What the page says while ``event``'s stage runs: the pipeline's own words, which already name the article
    being read (one wording, kept by the pipeline)."""
    return f"{event.detail}…" if event.stage in _WORKING else event.detail


class _Exports:
    """The page's Markdown exports: one private directory per page, holding the last few files only,
    removed when the process exits (a long-running page must not fill /tmp)."""

    def __init__(self, keep: int = EXPORTS_KEPT) -> None:
        self.keep = keep
        self.directory = Path(tempfile.mkdtemp(prefix="storydesk-exports-"))
        self._lock = threading.Lock()
        self._n = 0
        atexit.register(shutil.rmtree, self.directory, ignore_errors=True)

    def write(self, markdown: str) -> str:
        with self._lock:
            self._n += 1
            path = self.directory / f"storydesk-answer-{self._n}.md"
            path.write_text(markdown, encoding="utf-8")
            stale = self.directory / f"storydesk-answer-{self._n - self.keep}.md"
            stale.unlink(missing_ok=True)
            return str(path)


@dataclass(frozen=True)
class _Page:
    """The components that handlers read or change."""

    conversation: gr.State  # one {"question", "standalone"} per answered turn: follow-ups are rewritten from it
    chatbot: gr.Chatbot
    disagreement: gr.HTML
    box: gr.Textbox
    send: gr.Button
    status: gr.Markdown
    export: gr.DownloadButton
    reset: gr.Button
    sources: gr.HTML
    articles: gr.HTML
    files: gr.File
    upload_note: gr.Markdown
    story_map: gr.HTML
    map_timer: gr.Timer
    pin: gr.Button

    def pick(self, names: tuple[str, ...]) -> list[Any]:
        return [getattr(self, name) for name in names]


def _layout(assistant: Assistant, examples: list[str], max_upload_bytes: int) -> _Page:
    """The page: a bar on top, the conversation on the left, sources and articles on the right."""
    conversation = gr.State([])
    with gr.Row(elem_id="topbar"):
        gr.HTML(_BRAND)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chat = _chat_column(examples)
        with gr.Column(scale=2, min_width=340):
            side = _side_column(assistant, max_upload_bytes)
    return _Page(conversation=conversation, **chat, **side)


def _chat_column(examples: list[str]) -> dict[str, Any]:
    chatbot = gr.Chatbot(
        elem_id="chatbot",
        height=460,
        show_label=False,
        sanitize_html=True,
        placeholder="Ask about the story. Every answer cites the exact passages it rests on.",
    )
    disagreement = gr.HTML("", visible=False, elem_id="disagreement")
    with gr.Row():
        box = gr.Textbox(
            elem_id="question",
            placeholder="Ask a question about the articles…",
            show_label=False,
            scale=8,
            max_lines=4,
            autofocus=True,
        )
        send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
    status = gr.Markdown("", elem_id="status")
    with gr.Row():
        export = gr.DownloadButton("Export answer as Markdown", visible=False, elem_id="export", size="sm")
        pin = gr.Button("Add this question to the map", visible=False, size="sm", elem_id="pin")
        reset = gr.Button("New conversation", size="sm", elem_id="reset")
    if examples:
        gr.Examples(examples, inputs=box, label="Try")
    return dict(
        chatbot=chatbot,
        disagreement=disagreement,
        box=box,
        send=send,
        status=status,
        export=export,
        reset=reset,
        pin=pin,
    )


def _side_column(assistant: Assistant, max_upload_bytes: int) -> dict[str, Any]:
    with gr.Tab("Sources", elem_id="sources-tab"):
        sources = gr.HTML(sources_html(None, assistant.corpus), elem_id="sources")
    with gr.Tab("Articles", elem_id="articles-tab"):
        articles = gr.HTML(articles_html(assistant.corpus), elem_id="articles")
        files = gr.File(
            label=f"Add articles (.txt or .md, up to {max_upload_bytes // 1024 // 1024} MB each)",
            file_types=[".txt", ".md"],
            file_count="multiple",
            elem_id="upload",
        )
        upload_note = gr.Markdown("", elem_id="upload-note")
    with gr.Tab("Where the sources disagree", elem_id="map-tab"):
        story_map = gr.HTML(map_html(None, "The map is built in the background after indexing."), elem_id="story-map")
        map_timer = gr.Timer(2.0)
    return dict(
        sources=sources,
        articles=articles,
        files=files,
        upload_note=upload_note,
        story_map=story_map,
        map_timer=map_timer,
    )


class _Handlers:
    """What each event changes on the page. Every handler returns (or yields) a dict ``{component: value}``
    naming only the components it changes: the others stay as they are."""

    def __init__(self, assistant: Assistant, page: _Page, exports: _Exports, max_upload_bytes: int) -> None:
        self.assistant = assistant
        self.page = page
        self.exports = exports
        self.max_upload_bytes = max_upload_bytes

    def respond(self, message: str, chat: list, conversation: list) -> Iterator[dict]:
        """Asking: the question in the chat, a status line per progress event, then the answer (or the error)."""
        message = (message or "").strip()
        if not message:
            yield {self.page.status: "Type a question first."}
            return
        chat = [*(chat or []), {"role": "user", "content": message}]
        yield self._working(chat, "Starting…")
        try:
            yield from self._answer(message, chat, conversation)
        except StorydeskError as err:
            yield self._failed(chat, str(err))
        except Exception as err:  # shown to the user, not swallowed; the page keeps working
            yield self._failed(chat, f"unexpected error: {type(err).__name__}: {err}")

    def _answer(self, message: str, chat: list, conversation: list) -> Iterator[dict]:
        with self.assistant.turns.question():  # the rewrite and the answer are one turn: the map's build waits
            history = [turn["standalone"] for turn in conversation]
            standalone = self.assistant.standalone(message, history)
            rewritten = standalone if standalone != message else None
            if rewritten:
                yield self._working(chat, f"Interpreted as: {rewritten}")
            slower = ""  # articles read for the first time: said beside every status line until the answer
            for event in self.assistant.ask_events(standalone):
                slower = event.detail if event.stage == PREPARING else slower
                if event.answer is None:
                    line = _status_line(event)
                    yield self._working(chat, line if line == slower or not slower else f"{line} ({slower})")
                else:
                    yield self._answered(event.answer, message, rewritten, chat, conversation)

    def _working(self, chat: list, status: str) -> dict:
        return {self.page.chatbot: chat, self.page.status: status, self.page.box: ""}

    def _failed(self, chat: list, message: str) -> dict:
        chat = [*chat, {"role": "assistant", "content": f"⚠ {message}"}]
        return {self.page.chatbot: chat, self.page.status: f"Error: {message}", self.page.box: ""}

    def _answered(self, answer: Answer, message: str, rewritten: str | None, chat: list, conversation: list) -> dict:
        corpus = self.assistant.corpus
        disagreement = conflicts_html(answer, corpus)
        export = self.exports.write(answer_markdown(answer, rewritten, corpus))
        took = answer.timings_ms.get("total", 0) / 1000
        return {
            self.page.chatbot: [*chat, {"role": "assistant", "content": chat_html(answer, rewritten)}],
            self.page.status: f"Answered in {took:.1f} s",
            self.page.sources: sources_html(answer, corpus),
            self.page.disagreement: gr.update(value=disagreement, visible=bool(disagreement)),
            self.page.export: gr.update(value=export, visible=True),
            self.page.pin: gr.update(visible=True),
            self.page.conversation: [*conversation, {"question": message, "standalone": rewritten or message}],
            self.page.box: "",
        }

    def chat_api(self, question: str) -> str:
        """Answer one question; returns the answer with its disagreement and citations, as plain text."""
        try:
            return answer_plain(self.assistant.ask(question), corpus=self.assistant.corpus)
        except StorydeskError as err:
            raise gr.Error(str(err)) from None

    def upload(self, files: list | None, progress=gr.Progress()) -> dict:  # noqa: B008 - how Gradio passes a tracker
        # Indexed in a separate, lower-priority process and on its own queue: questions asked meanwhile
        # are answered from the articles as they were, until the new index is complete and swapped in.
        progress(0, desc="Adding the articles…")
        try:
            result = self.assistant.add_articles(
                files or [],
                max_bytes=self.max_upload_bytes,
                progress=lambda label, done, total: progress(done / max(total, 1), desc=label),
            )
        except StorydeskError as err:
            return self._uploaded(f"⚠ {err}")
        note = (
            (f"Added {', '.join(result.added)}. " if result.added else "")
            + (f"Already among the articles: {', '.join(result.present)}. " if result.present else "")
            + " ".join(result.problems)
        )
        return self._uploaded(note or "Nothing was added.")

    def _uploaded(self, note: str) -> dict:
        # The box is emptied so the next upload does not send these files again.
        page = self.page
        return {
            page.articles: articles_html(self.assistant.corpus),
            page.upload_note: note,
            page.files: None,
            page.map_timer: gr.Timer(active=True),  # the map of the articles as they are now: built, then shown
        }

    def map_view(self) -> dict:
        """The map tab, refreshed by the page's timer: the map when it is ready, else how far its build is;
        the timer stops once the map is shown and no build runs."""
        status = self.assistant.map_status
        story_map = None if status else self.assistant.cached_story_map()
        if story_map is None and not status:
            self.assistant.start_story_map()  # the corpus changed (an upload): build the new map
            status = self.assistant.map_status
        return {self.page.story_map: map_html(story_map, status), self.page.map_timer: gr.Timer(active=bool(status))}

    def pin(self, conversation: list) -> dict:
        """Pin the last question asked to the story map (a row of its own) and rebuild the map."""
        if not conversation:
            return {self.page.status: "Ask a question first."}
        question = conversation[-1]["standalone"]
        self.assistant.pin_question(question)
        self.assistant.start_story_map()
        return {
            self.page.status: f"Added to the map: {question}",
            self.page.pin: gr.update(visible=False),
            self.page.map_timer: gr.Timer(active=True),
        }

    def clear(self) -> dict:
        """A new conversation: no chat, no sources marked, no disagreement, no export."""
        page = self.page
        return {
            page.chatbot: [],
            page.status: "",
            page.sources: sources_html(None, self.assistant.corpus),
            page.disagreement: gr.update(value="", visible=False),
            page.export: gr.update(visible=False),
            page.pin: gr.update(visible=False),
            page.conversation: [],
        }


def _wire(page: _Page, handlers: _Handlers) -> None:
    """Which event runs which handler. All model work shares the ``model`` queue slot; uploads have their own."""
    for trigger in (page.box.submit, page.send.click):
        trigger(
            handlers.respond,
            [page.box, page.chatbot, page.conversation],
            page.pick(_ASK_OUTPUTS),
            concurrency_id="model",
            api_visibility="private",
        )
    page.files.upload(
        handlers.upload, page.files, page.pick(_UPLOAD_OUTPUTS), concurrency_id="index", api_visibility="private"
    )
    page.reset.click(handlers.clear, None, page.pick(_CLEAR_OUTPUTS), api_visibility="private")
    page.map_timer.tick(handlers.map_view, None, [page.story_map, page.map_timer], api_visibility="private")
    page.pin.click(handlers.pin, [page.conversation], [page.status, page.pin, page.map_timer], api_visibility="private")
    gr.api(handlers.chat_api, api_name="chat", concurrency_id="model")


def build_app(assistant: Assistant, *, examples: list[str] | None = None, max_upload_bytes: int = MAX_UPLOAD_BYTES):
    """The page over ``assistant``, as a Gradio app (``serve`` queues and launches it)."""
    if examples is None:
        corpus_dir_is_default = assistant.corpus_dir.resolve() == config.default_corpus_dir().resolve()
        examples = DEFAULT_EXAMPLES if corpus_dir_is_default else []
    with gr.Blocks(title="Storydesk", delete_cache=(GRADIO_CACHE_S, GRADIO_CACHE_S)) as demo:
        page = _layout(assistant, examples, max_upload_bytes)
        _wire(page, _Handlers(assistant, page, _Exports(), max_upload_bytes))
    return demo


def serve(
    assistant: Assistant,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    block: bool = True,
):
    """Load everything, then serve the page. Returns the Gradio app (running in the background if not ``block``)."""
    assistant.index  # noqa: B018 - build or load before the first visitor waits for it
    assistant.warm()  # loads the model and its cached prompts before the first visitor
    assistant.start_story_map()  # in the background; the map tab shows how far it is
    demo = build_app(assistant, max_upload_bytes=max_upload_bytes)
    demo.queue(default_concurrency_limit=1)
    theme = gr.themes.Soft(
        primary_hue="indigo",
        font=["system-ui", "-apple-system", "Segoe UI", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )
    demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,
        prevent_thread_lock=not block,
        show_error=True,
        max_file_size=max_upload_bytes,
        theme=theme,
        css=(_STATIC / "page.css").read_text(encoding="utf-8"),
        js=(_STATIC / "page.js").read_text(encoding="utf-8"),
        quiet=not os.environ.get("STORYDESK_VERBOSE"),
    )
    return demo
