#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (never `playwright install`):
# install it from the distribution when it is missing. Without it, this fails with one line (exit 1):
# `make test` runs the browser tests, so a missing browser must stop it, not skip them.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
log="${TMPDIR:-/tmp}/storydesk-chromium-install.log"
fail() {
  echo "storydesk setup: chromium is missing and $1; install Debian's chromium package to run the browser tests" >&2
  exit 1
}
command -v apt-get >/dev/null 2>&1 || fail "apt-get is not available"
run() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi; }
echo "storydesk setup: installing chromium for the browser tests" >&2
{ run apt-get update -qq && run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } \
  >"$log" 2>&1 || fail "apt-get could not install it (see $log)"
command -v chromium >/dev/null 2>&1 || fail "apt-get installed no chromium command (see $log)"
