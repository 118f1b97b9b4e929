#!/usr/bin/env bash
# Debian's chromium for the page tests, installed when missing (make test runs this), with a font
# for Chinese (pages with Simplified Chinese beside English, such as the China-RAPEX report, show
# empty boxes in screenshots without one; the tests pass either way).
# The Playwright package that drives it comes with the [test] extra; it downloads no browser.
set -euo pipefail
chromium="${TRACEGRAPH_CHROMIUM:-/usr/bin/chromium}"
cjk_font=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
missing=()
[ -x "$chromium" ] || missing+=(chromium)
[ -e "$cjk_font" ] || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} = 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing for the page tests: ${missing[*]} (apt-get install)…" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
elif [ ! -x "$chromium" ] && [ "${CI:-}" = true ]; then
  echo "CI=true but $chromium is missing and cannot be installed here (not root, or no apt-get)" >&2; exit 1
elif [ ! -x "$chromium" ]; then
  echo "page tests will skip: install Debian's chromium (apt-get install chromium) or set TRACEGRAPH_CHROMIUM" >&2
else
  echo "no font for Chinese: screenshots of bilingual pages show boxes (apt-get install fonts-wqy-microhei)" >&2
fi
