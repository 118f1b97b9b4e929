#!/usr/bin/env bash
# Copies the browser libraries pinned in package-lock.json into api/static/vendor/: only the files
# the pages load, each package's licence, and VERSIONS.txt. Needs node and npm, and the npm
# registry only while it runs; the pages it serves need no network at all.
#   deploy/vendor/vendor.sh            re-vendor (then review `git diff --stat api/static/vendor`)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/api/static/vendor"

# package  licence-holder  files the pages load (paths inside the npm package, copied flat)
PAGES_LOAD='
react            react            umd/react.production.min.js
react-dom        react-dom        umd/react-dom.production.min.js
graphiql         graphiql         graphiql.min.js graphiql.min.css
cytoscape        cytoscape        dist/cytoscape.min.js
cytoscape-dagre  cytoscape-dagre  dist/cytoscape-dagre.min.js
'
# Bundled inside cytoscape-dagre's build (its README: "Dagre v3 is bundled"), so their licences
# ship beside it; package.json pins them only for that.
BUNDLED_IN_CYTOSCAPE_DAGRE='@dagrejs/dagre @dagrejs/graphlib'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$work/"
# --ignore-scripts: nothing from the registry runs on this machine; we only copy files.
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
nm="$work/node_modules"

field() {  # field PACKAGE FIELD -> the field of the installed package's package.json
  node -p "require(process.argv[1]).$2" "$nm/$1/package.json"
}

licence_file() {  # licence_file PACKAGE -> the path of its licence text, or nothing
  find "$nm/$1" -maxdepth 1 -type f -iregex '.*/\(licen[cs]e\|copying\)\(-mit\)?\(\.md\|\.txt\)?' | sort | head -1
}

third_party() {  # third_party PACKAGE... -> each one's name, version, licence and licence text
  local p lic
  for p in "$@"; do
    printf '==== %s %s (%s)\n\n' "$p" "$(field "$p" version)" "$(field "$p" license)"
    lic=$(licence_file "$p")
    if [[ -n $lic ]]; then cat "$lic"; else echo "(the npm package has no licence file; its package.json says $(field "$p" license))"; fi
    printf '\n\n'
  done
}

rm -rf "$out"
mkdir -p "$out"
versions="$out/VERSIONS.txt"
{
  echo "# Written by deploy/vendor/vendor.sh from deploy/vendor/package-lock.json; do not edit."
  echo "# package version licence: files (bytes, sha384 for <script integrity=...>)"
} > "$versions"

while read -r pkg holder files; do
  [[ -z $pkg ]] && continue
  mkdir -p "$out/$pkg"
  lic=$(licence_file "$holder")
  [[ -n $lic ]] || { echo "vendor.sh: $holder has no licence file" >&2; exit 1; }
  cp "$lic" "$out/$pkg/LICENSE"
  echo "$pkg $(field "$pkg" version) $(field "$pkg" license):" >> "$versions"
  for f in $files; do
    cp "$nm/$pkg/$f" "$out/$pkg/"
    name=$(basename "$f")
    sri="sha384-$(openssl dgst -sha384 -binary "$out/$pkg/$name" | base64 -w0)"
    echo "    $pkg/$name ($(stat -c %s "$out/$pkg/$name") B, $sri)" >> "$versions"
  done
  echo "    $pkg/LICENSE" >> "$versions"
done <<< "$PAGES_LOAD"

# graphiql.min.js is a webpack build that bundles its dependencies (React stays outside): their
# names are in its module paths ("node_modules/NAME/..."); GraphiQL's own monorepo packages are
# under graphiql's licence.
bundled=$(grep -o 'node_modules/\(@[a-z0-9._-]*/\)\?[a-z0-9._-]*' "$out/graphiql/graphiql.min.js" \
          | sed 's|^node_modules/||' | sort -u | grep -v -x -e react -e react-dom)
present=() missing=()
for p in $bundled; do
  if [[ -f $nm/$p/package.json ]]; then present+=("$p"); else missing+=("$p"); fi
done
{
  echo "Packages bundled inside graphiql.min.js (read from its webpack module paths), with the"
  echo "licence of the version package-lock.json installs (the bundle was built by GraphiQL's"
  echo "maintainers; the version inside it may differ)."
  if ((${#missing[@]})); then
    echo "Also bundled, but not in this npm tree, so their licence text is not copied: ${missing[*]}"
  fi
  echo
  third_party "${present[@]}"
} > "$out/graphiql/THIRD-PARTY-LICENSES.txt"
echo "    graphiql/THIRD-PARTY-LICENSES.txt (${#present[@]} bundled packages; not in the tree: ${missing[*]:-none})" >> "$versions"

# shellcheck disable=SC2086
third_party $BUNDLED_IN_CYTOSCAPE_DAGRE > "$out/cytoscape-dagre/THIRD-PARTY-LICENSES.txt"
echo "    cytoscape-dagre/THIRD-PARTY-LICENSES.txt (bundled: $BUNDLED_IN_CYTOSCAPE_DAGRE)" >> "$versions"

# The pages must not make the browser reach another host: a stylesheet may refer only to data:
# URIs and must import nothing. (Scripts are checked in a real browser by tests/browser_smoke.py.)
bad=$(grep -H -o -E '@import[^;]*|url\([^)]{0,80}' "$out"/*/*.css | grep -v -E "url\(['\"]?data:" || true)
if [[ -n $bad ]]; then
  echo "vendor.sh: a vendored stylesheet loads something that is not a data: URI:" >&2
  echo "$bad" >&2
  exit 1
fi

du -sh "$out"
cat "$versions"
