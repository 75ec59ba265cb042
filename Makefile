# The two commands of the README. Each sets up whatever is missing first (scripts/setup.sh).
.PHONY: run test test-fast

run:
	@./scripts/setup.sh
	.venv/bin/storydesk serve

test:
	@./scripts/setup.sh --dev
	.venv/bin/python -m pytest

# Without the real-model and browser tests (what CI still runs): for quick local iterations.
test-fast:
	@./scripts/setup.sh --dev
	.venv/bin/python -m pytest -m "not slow"
