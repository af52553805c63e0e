#!/usr/bin/env bash
# Build frontend/vendor/plotly.min.js: plotly.js with only the trace types app/charts draws.
#
#   scripts/build-plotly-bundle.sh            # rebuild from the pinned packages (npm ci)
#   scripts/build-plotly-bundle.sh --update   # resolve the packages afresh and pin them again
#
# Needs node >= 20, npm and the npm registry. The plotly.js version is the one the Python plotly package
# bundles (plotly.offline.get_plotlyjs_version()), so the figures the backend builds are drawn by the
# plotly.js they were made for. Packages are installed into a temporary directory, never into the
# repository; scripts/plotly-bundle/ keeps package.json and package-lock.json, so a rebuild from them
# gives the same bytes. When plotly.py bundles another plotly.js, the pins are resolved afresh.
#
# The bundle is plotly.js/lib/core (which registers scatter and the layout components: shapes,
# annotations, colorbars, legend, hover, modebar) plus the trace modules in TRACES, minified by esbuild
# into a classic script that sets window.Plotly. It keeps plotly.js's MIT licence banner on top and the
# licence comments of the packages inside at the end. Beside it, scripts/plotly-bundle/describe.py
# writes plotly-bundle.json (version, trace types, digest) and README.md. tests/test_plotly_bundle.py
# fails when plotly.py was upgraded without a rebuild, or when app/charts draws a trace type the bundle
# lacks: add it to TRACES and run this again.
set -euo pipefail

# The trace types the bundle registers (scatter comes with core; listed so the intent is plain).
TRACES=(bar heatmap scatter waterfall)
ESBUILD_VERSION=0.28.2 # plotly.js 4.1 builds itself with esbuild ^0.28

update=0
case "${1:-}" in
  "") ;;
  --update) update=1 ;;
  *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || python=python3
pins=$repo/scripts/plotly-bundle
out_dir=$repo/frontend/vendor

version=$("$python" -c "import plotly.offline; print(plotly.offline.get_plotlyjs_version())")
echo "plotly.js $version (the version plotly.py $("$python" -c 'import plotly; print(plotly.__version__)') bundles)"

work=$(mktemp -d "${TMPDIR:-/tmp}/plotly-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# --ignore-scripts: no package's install script runs (esbuild's binary comes as an optional dependency)
npm_flags=(--ignore-scripts --no-audit --no-fund --loglevel=error)
wanted="plotly.js@$version esbuild@$ESBUILD_VERSION"
pinned=$(node -p "try { const d = require('$pins/package.json').dependencies;
  'plotly.js@' + d['plotly.js'] + ' esbuild@' + d.esbuild } catch (e) { 'nothing' }")
if [ "$update" = 0 ] && [ "$pinned" = "$wanted" ] && [ -f "$pins/package-lock.json" ]; then
  cp "$pins/package.json" "$pins/package-lock.json" .
  npm ci "${npm_flags[@]}"
else
  [ "$update" = 1 ] || echo "scripts/plotly-bundle/ pins $pinned, not $wanted: resolving the packages afresh"
  cat >package.json <<EOF
{
  "name": "scorecard-plotly-bundle",
  "private": true,
  "description": "Build inputs of frontend/vendor/plotly.min.js (scripts/build-plotly-bundle.sh)",
  "dependencies": {"esbuild": "$ESBUILD_VERSION", "plotly.js": "$version"}
}
EOF
  npm install "${npm_flags[@]}"
  mkdir -p "$pins"
  cp package.json package-lock.json "$pins/"
fi

installed=$(node -p 'require("plotly.js/package.json").version')
[ "$installed" = "$version" ] || { echo "npm installed plotly.js $installed, not $version" >&2; exit 1; }

{
  echo "'use strict';"
  echo "var Plotly = require('plotly.js/lib/core');"
  echo "Plotly.register(["
  for t in "${TRACES[@]}"; do
    [ "$t" = scatter ] || echo "  require('plotly.js/lib/$t'),"
  done
  echo "]);"
  echo "module.exports = Plotly;"
} >entry.js

# plotly.js's own licence banner (the first comment of its dist file), with a line saying what this is
traces_csv=$(IFS=,; echo "${TRACES[*]}")
banner=$(sed -n '1,/\*\//p' node_modules/plotly.js/dist/plotly.min.js \
  | sed "s|^\* plotly.js v$version\$|* plotly.js v$version (custom bundle, traces: $traces_csv; built by scripts/build-plotly-bundle.sh)|")
grep -q "custom bundle" <<<"$banner" || { echo "unexpected banner in plotly.js's dist file: $banner" >&2; exit 1; }

# The options of plotly.js's own esbuild-config.js that matter for these traces (no WebGL, so no glsl
# plugin; no map, so no CSS import). legalComments=eof keeps the bundled packages' licence comments.
cat >build.mjs <<'EOF'
import * as esbuild from "esbuild";
await esbuild.build({
  entryPoints: ["entry.js"],
  outfile: "plotly.min.js",
  bundle: true,
  format: "iife",
  globalName: "Plotly",
  minify: true,
  legalComments: "eof",
  target: "es2016",
  define: { global: "window", "define.amd": "false", "process.env.NODE_DEBUG": "false" },
  alias: { regl: "@plotly/regl", stream: "stream-browserify" },
  banner: { js: process.env.BANNER },
  footer: { js: "window.Plotly = Plotly;" },
  logLevel: "warning",
});
EOF
BANNER=$banner node build.mjs

# Beside the bundle: plotly-bundle.json (its version, the trace types it registers and its digest, read by
# tests/test_plotly_bundle.py; tests/browser/test_plotly_bundle.py checks them against the page's Plotly)
# and README.md, both written from what was built.
mkdir -p "$out_dir"
cp plotly.min.js "$out_dir/plotly.min.js"
"$python" "$pins/describe.py" "$out_dir" "$version" "$ESBUILD_VERSION" "${TRACES[@]}"
