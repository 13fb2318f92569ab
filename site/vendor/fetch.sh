#!/usr/bin/env bash
# Re-create site/vendor/ from the npm registry (`npm pack`, pinned versions), then check every
# file against SHA256SUMS. Only needed to update a version; `make site` uses the committed copy.
set -euo pipefail
cd "$(dirname "$0")"
HTML_MANAGER=1.0.15   # @jupyter-widgets/html-manager for ipywidgets 8.1 (controls 2.0 models)
REQUIREJS=2.3.8
MATHJAX=3.2.2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@jupyter-widgets/html-manager@$HTML_MANAGER" \
   "requirejs@$REQUIREJS" "mathjax@$MATHJAX" >/dev/null)
for t in "$tmp"/*.tgz; do mkdir -p "${t%.tgz}" && tar xzf "$t" -C "${t%.tgz}"; done
hm="$tmp/jupyter-widgets-html-manager-$HTML_MANAGER/package/dist"
mj="$tmp/mathjax-$MATHJAX/package"
rm -rf html-manager mathjax require.js
mkdir -p html-manager mathjax/output/chtml/fonts
# the manager with the controls built in (no AMD loader needed for them), its licence notices,
# and the woff2 fonts its icons would use (browsers that read woff2 never ask for the rest)
cp "$hm/embed.js" "$hm/embed.js.LICENSE.txt" "$hm"/*.woff2 html-manager/
cp "$tmp/requirejs-$REQUIREJS/package/require.js" .
# TeX input + CommonHTML output in one file, and the fonts it loads; no other component
cp "$mj/es5/tex-chtml.js" "$mj/LICENSE" mathjax/
cp -r "$mj/es5/output/chtml/fonts/woff-v2" mathjax/output/chtml/fonts/
sha256sum -c SHA256SUMS
