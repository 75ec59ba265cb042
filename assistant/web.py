"""The chat page (Gradio): ask, watch progress, click a marker to see its passage, see who disagrees.

One embedded model serves every tab: all model work shares one queue slot (``concurrency_id``),
and waiting users see their place in the queue. Uploads are indexed on a queue of their own, in a
separate process, so they never wait for answers nor make answers wait. Scripts use the ``/chat`` endpoint
(``Client(url).predict("…", api_name="/chat")``), which returns the answer as plain text.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterator

from . import config
from .api import Assistant
from .errors import StorydeskError
from .followup import standalone_question
from .prompts import load_prompt
from .render import answer_markdown, answer_plain, articles_html, chat_html, conflicts_html, sources_html

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
_STAGE_TEXT = {
    "retrieving": "Searching the articles…",
    "reading": "{detail}…",
    "comparing": "Comparing what the articles say…",
    "answer": "Done",
}
_STATIC = Path(__file__).resolve().parent / "web_static"


def _stage_line(stage: str, detail: str) -> str:
    return _STAGE_TEXT.get(stage, "{detail}").format(detail=detail)


class ChatSession:
    """What one event handler needs: the assistant, plus the conversation's standalone questions."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def ask_streaming(self, question: str, history: list[str]) -> Iterator[tuple[str, Any]]:
        """Yields ("status", text) while working, then ("done", (answer, rewritten)) or ("error", message)."""
        rewritten = None
        try:
            standalone = standalone_question(question, history, self.assistant.backend) if history else question
        except StorydeskError as err:
            yield "error", str(err)
            return
        if standalone != question:
            rewritten = standalone
            yield "status", f"Interpreted as: {standalone}"
        events: queue.Queue = queue.Queue()

        def work() -> None:
            try:
                answer = self.assistant.ask(
                    standalone, on_stage=lambda stage, detail: events.put(("status", _stage_line(stage, detail)))
                )
                events.put(("done", (answer, rewritten)))
            except StorydeskError as err:
                events.put(("error", str(err)))
            except Exception as err:  # shown to the user, not swallowed; the page keeps working
                events.put(("error", f"unexpected error: {type(err).__name__}: {err}"))

        threading.Thread(target=work, daemon=True).start()
        while True:
            kind, payload = events.get()
            yield kind, payload
            if kind in ("done", "error"):
                return


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


def build_app(assistant: Assistant, *, examples: list[str] | None = None, max_upload_bytes: int = MAX_UPLOAD_BYTES):
    import gradio as gr

    session = ChatSession(assistant)
    exports = _Exports()
    corpus_dir_is_default = assistant.corpus_dir.resolve() == config.default_corpus_dir().resolve()
    examples = examples if examples is not None else (DEFAULT_EXAMPLES if corpus_dir_is_default else [])

    def respond(message: str, chat: list, conversation: list):
        message = (message or "").strip()
        chat = list(chat or [])
        if not message:
            yield (
                gr.update(),
                "Type a question first.",
                gr.update(),
                gr.update(),
                gr.update(),
                conversation,
                gr.update(),
            )
            return
        chat.append({"role": "user", "content": message})
        yield chat, "Starting…", gr.update(), gr.update(), gr.update(), conversation, ""
        for kind, payload in session.ask_streaming(message, [c["standalone"] for c in conversation]):
            if kind == "status":
                yield chat, payload, gr.update(), gr.update(), gr.update(), conversation, ""
            elif kind == "error":
                chat.append({"role": "assistant", "content": f"⚠ {payload}"})
                yield chat, f"Error: {payload}", gr.update(), gr.update(), gr.update(), conversation, ""
            else:
                answer, rewritten = payload
                corpus = assistant.corpus
                chat.append({"role": "assistant", "content": chat_html(answer, rewritten)})
                disagreement = conflicts_html(answer, corpus)
                conversation = conversation + [{"question": message, "standalone": rewritten or message}]
                export = exports.write(answer_markdown(answer, rewritten))
                took = answer.timings_ms.get("total", 0) / 1000
                yield (
                    chat,
                    f"Answered in {took:.1f} s",
                    sources_html(answer, corpus),
                    gr.update(value=disagreement, visible=bool(disagreement)),
                    gr.update(value=export, visible=True),
                    conversation,
                    "",
                )

    def chat_api(question: str) -> str:
        """Answer one question; returns the answer with its disagreement and citations, as plain text."""
        try:
            return answer_plain(assistant.ask(question))
        except StorydeskError as err:
            raise gr.Error(str(err)) from None

    def upload(files, progress=gr.Progress()):  # noqa: B008 - how Gradio passes a progress tracker
        # Indexed in a separate, lower-priority process and on its own queue: questions asked meanwhile
        # are answered from the articles as they were, until the new index is complete and swapped in.
        progress(0, desc="Adding the articles…")
        try:
            result = assistant.add_articles(
                files or [],
                max_bytes=max_upload_bytes,
                progress=lambda label, done, total: progress(done / max(total, 1), desc=label),
            )
        except StorydeskError as err:
            return articles_html(assistant.corpus), f"⚠ {err}", None
        note = (
            (f"Added {', '.join(result.added)}. " if result.added else "")
            + (f"Already among the articles: {', '.join(result.present)}. " if result.present else "")
            + " ".join(result.problems)
        )
        # The box is emptied so the next upload does not send these files again.
        return articles_html(assistant.corpus), note or "Nothing was added.", None

    def clear():
        return (
            [],
            "",
            sources_html(None, assistant.corpus),
            gr.update(value="", visible=False),
            gr.update(visible=False),
            [],
        )

    with gr.Blocks(title="Storydesk", delete_cache=(GRADIO_CACHE_S, GRADIO_CACHE_S)) as demo:
        conversation = gr.State([])
        with gr.Row(elem_id="topbar"):
            gr.HTML(
                '<div class="brand"><span class="logo">▤</span> <b>Storydesk</b> '
                '<span class="tagline">answers from your articles, with the exact passages — and who disagrees</span></div>'
            )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
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
                    reset = gr.Button("New conversation", size="sm", elem_id="reset")
                if examples:
                    gr.Examples(examples, inputs=box, label="Try")
            with gr.Column(scale=2, min_width=340):
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

        outputs = [chatbot, status, sources, disagreement, export, conversation, box]
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, conversation], outputs, concurrency_id="model", api_visibility="private")
        files.upload(upload, files, [articles, upload_note, files], concurrency_id="index", api_visibility="private")
        reset.click(
            clear, None, [chatbot, status, sources, disagreement, export, conversation], api_visibility="private"
        )
        gr.api(chat_api, api_name="chat", concurrency_id="model")
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
    import gradio as gr

    assistant.index  # noqa: B018 - build or load before the first visitor waits for it
    assistant.backend.warm(load_prompt("read_sentence").prefix())  # loads the model and its cached prompt
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
