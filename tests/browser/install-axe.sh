#!/usr/bin/env bash
# axe-core (npm) for the accessibility audit of tests/browser/test_axe.py, into tests/browser/.axe
# (gitignored). Does nothing when this version is already there. Needs npm and the npm registry;
# scripts/test runs it when npm is found, .ci/run always (installing npm first if it is missing).
set -euo pipefail
VERSION=4.14.1  # axe's rules change between versions: pinned, so a new release cannot fail CI on its own
DIR="$(cd "$(dirname "$0")" && pwd)/.axe"
PKG="$DIR/node_modules/axe-core/package.json"
if [ -f "$PKG" ] && grep -q "\"version\": \"$VERSION\"" "$PKG" && [ -f "$DIR/node_modules/axe-core/axe.min.js" ]; then
    exit 0
fi
npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$DIR" "axe-core@$VERSION"
