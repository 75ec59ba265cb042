# The two commands of the README. Each sets up whatever is missing first (scripts/setup.sh).
.PHONY: run test test-fast lint

run:
	@./scripts/setup.sh
	.venv/bin/storydesk serve

# The browser tests need Debian's Chromium: scripts/setup-browser.sh installs it, or stops here with one line.
test: lint
	@./scripts/setup-browser.sh
	.venv/bin/python -m pytest

# ruff (configured in pyproject.toml: 120 columns): formatting and lint, before any test runs.
lint:
	@./scripts/setup.sh --dev
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .

# Without the real-model and browser tests (what CI still runs): for quick local iterations.
test-fast: lint
	.venv/bin/python -m pytest -m "not slow"
