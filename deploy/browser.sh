#!/usr/bin/env bash
# Debian's chromium for the page tests, installed when missing (make test runs this).
# The Playwright package that drives it comes with the [test] extra; it downloads no browser.
set -euo pipefail
chromium="${TRACEGRAPH_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the page tests (apt-get install chromium)…" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
elif [ "${CI:-}" = true ]; then
  echo "CI=true but $chromium is missing and cannot be installed here (not root, or no apt-get)" >&2; exit 1
else
  echo "page tests will skip: install Debian's chromium (apt-get install chromium) or set TRACEGRAPH_CHROMIUM" >&2
fi
