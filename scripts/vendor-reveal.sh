#!/usr/bin/env bash
# Refreshes the vendored reveal.js in static/vendor/reveal/ from the npm registry. The files are
# committed, so building the site never needs npm; run this only to change the version.
# Only the ES module, its two stylesheets and the license are kept: the deck's theme is the
# site's own (static/css/slides.css), so no web fonts are shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5.2.1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "reveal.js@$version" --silent >/dev/null && tar xzf reveal.js-*.tgz)
dest=static/vendor/reveal
rm -rf "$dest"
mkdir -p "$dest"
cp "$work/package/dist/reveal.esm.js" "$work/package/dist/reveal.css" "$work/package/dist/reset.css" \
  "$work/package/LICENSE" "$dest/"
# The source map is not shipped; drop the comment that points to it.
sed -i '/^\/\/# sourceMappingURL=/d' "$dest/reveal.esm.js"
echo "reveal.js $version" >"$dest/VERSION"
echo "vendored reveal.js $version into $dest"
