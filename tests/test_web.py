"""The chat page in a real browser (Debian chromium through Playwright), plus its API endpoint.

Page mechanics are tested with a rule-following fake model; test_real_model_answer_on_the_page
uses the embedded model end to end. The handlers' updates are also checked directly, without a browser.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import free_port

from assistant import Assistant
from assistant.errors import BadQuestion
from assistant.settings import ReadingSettings
from assistant.types import Event

slow = pytest.mark.slow  # a browser, a served page or the real model

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RULES = {
    r"how long": (r"months", r"(over a period of )?\w+ months"),
    r"who .*(behind|blamed)": (r"Northwind|Southgate", r"(Northwind Ltd|Southgate Systems)"),
    r"phishing|get in": (r"phishing", r"a phishing email"),
}


@pytest.fixture
def fake_model(rule_model):
    class PageFake(rule_model):
        def generate(self, messages, schema=None, *, max_tokens=256):
            assert messages.prompt == "rewrite_followup", messages.prompt  # the only free-text request
            v = messages.variables
            return "How long did the water hack last?" if "how long" in v["followup"].lower() else v["previous"]

    return PageFake(RULES)


def _start(assistant: Assistant):
    from assistant.web import serve

    port = free_port()
    demo = serve(assistant, port=port, block=False)
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture
def page_app(corpus_dir, cache, fake_model):
    assistant = Assistant(corpus_dir, backend=fake_model, cache_dir=cache, reading=ReadingSettings())
    demo, url = _start(assistant)
    yield url, corpus_dir
    demo.close()


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():  # a failure, never a skip: `make test` installs it (scripts/setup-browser.sh)
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}: run scripts/setup-browser.sh", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield b
        b.close()


def _ask(page, question: str, timeout: float = 120_000) -> None:
    before = page.locator("#chatbot .message").count() if page.locator("#chatbot .message").count() else 0
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        "(n) => { const s = document.querySelector('#status'); return s && s.innerText.includes('Answered') "
        "&& document.querySelectorAll('#chatbot .message').length >= n + 2 }",
        arg=before,
        timeout=timeout,
    )


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url, wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page


@slow
def test_conflict_shows_two_positions_with_their_quotes(page_app, browser):
    url, _ = page_app
    page = _open(browser, url)
    _ask(page, "How long did the intrusion into the water system last?")
    panel = page.locator("#disagreement")
    panel.wait_for(state="visible")
    assert "Sources disagree" in panel.inner_text()
    positions = panel.locator(".position")
    assert positions.count() == 2
    text = panel.inner_text()
    assert "eighteen months" in text and "several months" in text
    assert panel.locator("blockquote").count() >= 2


@slow
def test_the_map_tab_shows_where_the_sources_disagree_and_a_cell_opens_its_passage(page_app, browser):
    url, _ = page_app
    page = _open(browser, url)
    page.get_by_role("tab", name="Where the sources disagree").click()
    page.wait_for_selector("#story-map table.story-map tbody tr", timeout=120_000)
    rows = page.locator("#story-map tbody tr")
    assert rows.count() == 2 and rows.nth(0).locator(".disagree-flag").count() == 1
    assert "How long did the incident go on?" in page.locator("#story-map").inner_text()
    cell = page.locator("#story-map a.map-cell").first
    n = cell.get_attribute("data-cite")
    passage = page.locator(f"#mapsrc-{n}")
    assert not passage.is_visible()
    cell.click()
    passage.wait_for(state="visible", timeout=5000)
    assert cell.inner_text().strip() in passage.inner_text()


@slow
def test_unanswerable_question_gets_a_plain_refusal(page_app, browser):
    url, _ = page_app
    page = _open(browser, url)
    _ask(page, "What was the name of the mayor's dog?")
    last = page.locator("#chatbot .message").last.inner_text()
    assert "The articles do not say" in last
    assert page.locator("#sources .src").count() == 0
    assert not page.locator("#disagreement").is_visible()


@slow
def test_clicking_a_marker_brings_its_passage_into_view(page_app, browser):
    url, _ = page_app
    page = _open(browser, url)
    _ask(page, "How long did the intrusion into the water system last?")
    marker = page.locator("#chatbot a.cite").last
    n = marker.get_attribute("href").replace("#cite-", "")
    marker.click()
    page.wait_for_function("(n) => document.getElementById('src-' + n).classList.contains('hl')", arg=n, timeout=5000)
    box = page.locator(f"#src-{n}").bounding_box()
    panel = page.locator("#sources").bounding_box()
    assert box and panel and box["y"] + box["height"] > panel["y"] and box["y"] < panel["y"] + panel["height"]
    assert page.locator(f"#src-{n} mark").count() == 1


@slow
def test_uploaded_article_can_be_asked_about(page_app, browser, tmp_path):
    url, _ = page_app
    page = _open(browser, url)
    article = tmp_path / "d_report.txt"
    article.write_text(
        "Investigators now say the hackers got in through a phishing email sent to a clerk.\n", encoding="utf-8"
    )
    page.get_by_role("tab", name="Articles", exact=True).click()
    page.set_input_files("#upload input[type=file]", str(article))
    page.wait_for_function("document.querySelector('#upload-note').innerText.includes('Added')", timeout=60_000)
    assert "d_report" in page.locator("#articles").inner_text()
    # The box is emptied, and the same text sent again (under another name) adds no second article.
    assert page.locator("#upload input[type=file]").evaluate("el => el.files.length") == 0
    before = page.locator("#articles").inner_text().count("\n")
    again = tmp_path / "copy.txt"
    again.write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    page.set_input_files("#upload input[type=file]", str(again))
    page.wait_for_function("document.querySelector('#upload-note').innerText.includes('Already')", timeout=60_000)
    assert page.locator("#articles").inner_text().count("\n") == before
    assert "copy" not in page.locator("#articles").inner_text()
    _ask(page, "How did the hackers get in, according to the investigators?")
    assert "phishing" in page.locator("#chatbot .message").last.inner_text()
    page.get_by_role("tab", name="Sources", exact=True).click()
    assert "d_report" in page.locator("#sources").inner_text()


@slow
def test_a_question_is_answered_while_an_upload_is_being_indexed(page_app, browser, tmp_path):
    from tests.test_index_worker import long_article

    url, _ = page_app
    page = _open(browser, url)
    article = tmp_path / "long_report.txt"
    article.write_text(long_article(4000), encoding="utf-8")
    page.get_by_role("tab", name="Articles", exact=True).click()
    page.set_input_files("#upload input[type=file]", str(article))
    _ask(page, "How long did the intrusion into the water system last?")
    assert "Added" not in page.locator("#upload-note").inner_text()  # answered while the upload was indexing
    assert "months" in page.locator("#chatbot .message").last.inner_text()
    page.wait_for_function(
        "document.querySelector('#upload-note').innerText.includes('Added long_report')", timeout=300_000
    )


@slow
def test_follow_up_uses_the_previous_turn(page_app, browser):
    url, _ = page_app
    page = _open(browser, url)
    _ask(page, "Who was behind the water hack?")
    _ask(page, "and how long did it last?")
    last = page.locator("#chatbot .message").last.inner_text()
    assert "Interpreted as" in last and "water hack" in last
    assert "months" in last


@slow
def test_twenty_api_clients_at_once_are_each_answered_or_told_their_place(page_app):
    from bench.load import run_clients, summary

    url, _ = page_app
    results = run_clients(url, ["How long did the intrusion into the water system last?"], clients=20, timeout_s=300)
    report = summary(results)
    assert report["answered"] == 20 and report["failed"] == 0 and report["lost"] == 0, report
    # One model, one queue slot: those who waited were told where they stood.
    assert report["told_queue_position"] >= 10 and report["max_queue_position"] >= 10, report
    for r in results:
        assert "months" in r["answer"] and "\nSources\n" in r["answer"] and "Sources disagree" in r["answer"]


@slow
def test_real_model_answer_on_the_page(browser):
    assistant = Assistant()  # the bundled corpus and the embedded model
    demo, url = _start(assistant)
    try:
        page = _open(browser, url)
        _ask(page, "How long did the intrusion last?", timeout=300_000)  # the seed story's headline disagreement
        panel = page.locator("#disagreement")
        assert panel.is_visible() and panel.locator(".position").count() >= 2
        assert "eighteen months" in panel.inner_text() and "several months" in panel.inner_text()
        assert page.locator("#sources .src mark").count() >= 2
    finally:
        demo.close()


def test_exports_keep_only_the_last_few_files():
    from assistant.web import _Exports

    exports = _Exports(keep=3)
    paths = [exports.write(f"# answer {i}\n") for i in range(7)]
    assert sorted(p.name for p in exports.directory.iterdir()) == sorted(Path(p).name for p in paths[-3:])
    assert Path(paths[-1]).read_text(encoding="utf-8") == "# answer 6\n"


def _handlers(assistant: Assistant):
    """The page's components and handlers, without serving the page."""
    import gradio as gr

    from assistant import web

    with gr.Blocks():
        page = web._layout(assistant, [], web.MAX_UPLOAD_BYTES)
    return page, web._Handlers(assistant, page, web._Exports(keep=2), web.MAX_UPLOAD_BYTES)


def test_each_progress_event_has_its_status_line():
    from assistant.web import _status_line

    assert _status_line(Event("searching", "Searching the articles")) == "Searching the articles…"
    reading = Event("reading", "Reading article 2 of 3 (b_daily)", 2, 3, "b_daily")
    assert _status_line(reading) == "Reading article 2 of 3 (b_daily)…"
    assert _status_line(Event("comparing", "Comparing what the articles say")) == "Comparing what the articles say…"
    assert _status_line(Event("translating", "Translating the answer")) == "Translating the answer"


def test_asking_shows_each_stage_then_the_answer_and_its_follow_up(corpus_dir, cache, fake_model):
    from assistant.web import _ASK_OUTPUTS

    assistant = Assistant(corpus_dir, backend=fake_model, cache_dir=cache, reading=ReadingSettings())
    page, handlers = _handlers(assistant)
    assert list(handlers.respond("   ", [], [])) == [{page.status: "Type a question first."}]
    asking = set(page.pick(_ASK_OUTPUTS))
    views = list(handlers.respond("Who was behind the water hack?", [], []))
    assert all(set(view) <= asking and view[page.box] == "" for view in views)
    statuses = [view[page.status] for view in views]
    assert statuses[:2] == ["Starting…", "Searching the articles…"], statuses
    assert re.fullmatch(r"Reading article 1 of \d \(.+\)…", statuses[2]), statuses
    assert statuses[-2] == "Comparing what the articles say…" and statuses[-1].startswith("Answered in "), statuses
    answered = views[-1]
    assert set(answered) == asking and "Northwind" in answered[page.chatbot][-1]["content"]
    conversation = answered[page.conversation]
    assert conversation == [
        {"question": "Who was behind the water hack?", "standalone": "Who was behind the water hack?"}
    ]
    follow_up = list(handlers.respond("and how long did it last?", answered[page.chatbot], conversation))
    assert follow_up[1][page.status] == "Interpreted as: How long did the water hack last?"
    assert follow_up[-1][page.conversation][-1]["standalone"] == "How long did the water hack last?"
    assert len(follow_up[-1][page.chatbot]) == 4


def test_articles_read_for_the_first_time_are_said_beside_each_status_line(corpus_dir, cache, fake_model):
    fake_model.has_state = lambda prefix: False  # no reading state kept: every article is read for the first time
    page, handlers = _handlers(Assistant(corpus_dir, backend=fake_model, cache_dir=cache))
    statuses = [view[page.status] for view in handlers.respond("Who was behind the water hack?", [], [])]
    assert statuses[:2] == ["Starting…", "Searching the articles…"], statuses
    assert re.fullmatch(r"(\d) of \1 articles are read for the first time, which takes longer", statuses[2]), statuses
    assert re.fullmatch(r"Reading article 1 of \d \(.+\)… \(\d of \d articles .*\)", statuses[3]), statuses
    assert all(s.endswith(f"({statuses[2]})") for s in statuses[3:-1]) and statuses[-1].startswith("Answered in ")


@pytest.mark.parametrize(
    "error, shown",
    [
        (BadQuestion("the question is empty"), "the question is empty"),
        (RuntimeError("disk on fire"), "unexpected error: RuntimeError: disk on fire"),
    ],
)
def test_an_error_is_shown_in_the_chat_and_the_conversation_is_kept(corpus_dir, cache, fake_model, error, shown):
    assistant = Assistant(corpus_dir, backend=fake_model, cache_dir=cache)
    page, handlers = _handlers(assistant)

    def failing(question):
        yield Event("searching", "Searching the articles")
        raise error

    assistant.ask_events = failing
    views = list(handlers.respond("How long did it last?", [], []))
    assert [view[page.status] for view in views] == ["Starting…", "Searching the articles…", f"Error: {shown}"]
    assert views[-1][page.chatbot][-1] == {"role": "assistant", "content": f"⚠ {shown}"}
    assert page.conversation not in views[-1] and page.sources not in views[-1]
