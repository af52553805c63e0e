"""Write frontend/vendor/plotly-bundle.json and README.md from the bundle just built (called by
scripts/build-plotly-bundle.sh: OUT_DIR VERSION ESBUILD_VERSION TRACE...)."""

import gzip
import hashlib
import json
import sys
from pathlib import Path

import plotly


def size(data: bytes) -> str:
    return f"{len(data):,} bytes, {len(gzip.compress(data, 9, mtime=0)):,} gzipped (level 9)"


def main(out: Path, version: str, esbuild: str, traces: list[str]) -> None:
    raw = (out / "plotly.min.js").read_bytes()
    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    about = {"plotly.js": version, "traces": traces, "sha256": hashlib.sha256(raw).hexdigest()}
    (out / "plotly-bundle.json").write_text(json.dumps(about, indent=2) + "\n")
    (out / "README.md").write_text(f"""# frontend/vendor: plotly.js for the pages

Written by `scripts/build-plotly-bundle.sh`; do not edit by hand, run the script again.

- `plotly.min.js`: **plotly.js v{version}**, a custom bundle with only the trace types the figures
  of `app/charts` draw, **{", ".join(traces)}**, on top of plotly.js's core (`plotly.js/lib/core`:
  the layout components, among them shapes, annotations, colorbars, legend, hover and the modebar).
  - this bundle: {size(raw)};
  - the full `plotly.min.js` of the Python plotly package: {size(full)}.

  A classic script that sets `window.Plotly`; no `eval` or `new Function`, so it runs under the
  app's Content-Security-Policy (`script-src 'self'`).
- `plotly-bundle.json`: the version, the trace types and the SHA-256 of `plotly.min.js`.

The app serves this file when it exists, else the Python package's full bundle, at a versioned URL
(`app/delivery.py`); `frontend/charts.js` loads it on the first chart drawn.

## Rebuilding

```sh
scripts/build-plotly-bundle.sh            # from the pins in scripts/plotly-bundle/ (npm ci)
scripts/build-plotly-bundle.sh --update   # resolve the npm packages afresh and pin them again
```

It needs node (20 or later), npm and the npm registry. It installs plotly.js {version} (the version
`plotly.offline.get_plotlyjs_version()` names) and esbuild {esbuild} into a temporary directory,
bundles `plotly.js/lib/core` plus the trace modules listed in the script's `TRACES`, minified, and
writes these three files. The same pins give the same bytes.

Run it again when `tests/test_plotly_bundle.py` says so: plotly.py was upgraded (it bundles another
plotly.js), or `app/charts` draws a trace type the bundle lacks (add it to `TRACES` first).
`tests/browser/test_plotly_bundle.py` draws every figure the chart API serves with the Plotly the
page loaded.

## Licence

plotly.js is MIT-licensed, Copyright Plotly, Inc.; its licence banner heads `plotly.min.js`, and the
licence comments of the packages bundled with it are kept at its end.
""")
    print(f"wrote {out}/plotly.min.js: {size(raw)}; traces {', '.join(traces)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sorted(set(sys.argv[4:])))
