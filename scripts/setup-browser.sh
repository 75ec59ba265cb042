#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (never `playwright install`):
# install it from the distribution when it is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "storydesk setup: chromium is missing and apt-get is not available; browser tests will be skipped" >&2
  exit 0
fi
run() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi; }
echo "storydesk setup: installing chromium for the browser tests" >&2
run apt-get update -qq >/dev/null && run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null ||
  echo "storydesk setup: could not install chromium; browser tests will be skipped" >&2
