"""frontend/vendor/plotly.min.js, the custom plotly.js bundle (scripts/build-plotly-bundle.sh): it is the
plotly.js the Python plotly package bundles, it registers every trace type app/charts builds, it keeps
plotly.js's MIT banner, and it needs neither eval nor new Function (the app's CSP allows neither).
No browser: tests/browser/test_plotly_bundle.py draws the API's figures with it.
"""

import hashlib
import inspect
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.offline

from app import charts

VENDOR = Path(__file__).resolve().parents[1] / "frontend" / "vendor"
BUNDLE = VENDOR / "plotly.min.js"
ABOUT = VENDOR / "plotly-bundle.json"
REBUILD = "run scripts/build-plotly-bundle.sh"


def _banner() -> str:
    head = BUNDLE.read_text(encoding="utf-8")[:2000]
    assert head.startswith("/**"), f"{BUNDLE} does not open with plotly.js's licence banner; {REBUILD}"
    return head[: head.index("*/") + 2]


def _about() -> dict:
    return json.loads(ABOUT.read_text(encoding="utf-8"))


def test_the_bundle_is_the_plotly_js_that_plotly_py_bundles():
    wanted = plotly.offline.get_plotlyjs_version()
    found = re.search(r"^\* plotly\.js v(\S+) \(custom bundle", _banner(), re.MULTILINE)
    assert found, f"no 'plotly.js vX.Y.Z (custom bundle' line in the banner of {BUNDLE}; {REBUILD}"
    assert found.group(1) == wanted, (
        f"{BUNDLE} is plotly.js {found.group(1)} but plotly.py {plotly.__version__} bundles plotly.js {wanted}: "
        f"{REBUILD}"
    )
    about = _about()
    assert about["plotly.js"] == wanted, f"{ABOUT} names plotly.js {about['plotly.js']}, not {wanted}: {REBUILD}"
    # the description is of this very file (not of an older build, nor of a hand-edited one)
    assert about["sha256"] == hashlib.sha256(BUNDLE.read_bytes()).hexdigest(), f"{ABOUT} is not of {BUNDLE}: {REBUILD}"


def test_the_bundle_keeps_plotly_js_licence_banner():
    banner = _banner()
    assert re.search(r"Copyright 2012-\d{4}, Plotly, Inc\.", banner), banner
    assert "Licensed under the MIT license" in banner, banner


def test_the_bundle_needs_no_eval_under_the_content_security_policy():
    # script-src 'self' without 'unsafe-eval' (app/security.py): eval and new Function throw there
    source = BUNDLE.read_text(encoding="utf-8")
    assert "new Function(" not in source
    assert not re.search(r"(?<![\w$.])eval\(", source)


# Small inputs for every figure builder of app.charts (its positional arguments, then its keywords),
# each variant that draws differently.
_POINTS = pd.DataFrame({"period": ["2026-09", "2026-10"], "actual": [10.0, None], "target": [11.0, 11.0],
                        "status": ["amber", "none"]})
_ATT = pd.DataFrame([[1.04, np.nan]], index=["Ann (S1)"], columns=["Revenue", "Hit rate"])
_KPIS = pd.DataFrame({"name": ["Revenue", "CSAT"], "actual": [1040.0, None], "target": [1000.0, 4.5],
                      "attainment": [1.04, None], "status": ["green", "none"], "amber_threshold": [0.9, 0.9],
                      "green_threshold": [1.0, 1.0]})
SAMPLES: dict[str, list[tuple[tuple, dict]]] = {
    "kpi_bullets": [((_KPIS,), {})],
    "kpi_trend": [((_POINTS,), {"name": "Meetings", "unit": unit}) for unit in ("count", "ratio", "currency")],
    "team_heatmap": [((_ATT, pd.DataFrame([["green", "none"]], index=_ATT.index, columns=_ATT.columns)), {})],
    "perspective_bars": [((pd.DataFrame({"name": ["Financial", "Customer"], "score": [1.02, None],
                                         "previous_score": [1.0, None]}),), {})],
    "budget_vs_actual": [((pd.DataFrame({"period": ["2026-01", "2026-02"], "budget_amount": [100.0, np.nan],
                                         "actual_amount": [90.0, 160.0]}),), {})],
    "variance_waterfall": [
        (({"budget_amount": 2000.0, "price_effect": -20.0, "volume_effect": 133.33, "mix_effect": -133.33,
           "actual_amount": 1980.0},), {}),
        (({"budget_amount": None, "price_effect": None, "volume_effect": None, "mix_effect": None,
           "actual_amount": 50.0},), {}),  # no budget: n/a, no trace
    ],
    "forecast_bars": [
        (({"budget": 1200.0, "actual_to_date": 500.0, "budget_remainder": 1250.0, "run_rate": 1000.0,
           "seasonal": None},), {}),
        (({},), {}),
    ],
    "outlook_fan": [(({"year": 2026, "months": ["2026-01", "2026-02", "2026-03"], "kpis": [{
        "kpi": "revenue", "name": "Revenue", "unit": "currency", "target": 300.0, "actual_to_date": 100.0,
        "actuals": [{"period": "2026-01", "actual": 100.0}],
        "path": [{"period": m, "p10": 150.0, "p50": 200.0, "p90": 250.0} for m in ("2026-02", "2026-03")],
    }]}, "revenue"), {})],
}


def _figure_builders() -> set[str]:
    """The public functions of app.charts that return a figure."""
    return {name for name in charts.__all__
            if inspect.isfunction(fn := getattr(charts, name))
            and inspect.signature(fn).return_annotation == charts.Figure}


def test_every_trace_type_app_charts_builds_is_registered_by_the_bundle():
    assert set(SAMPLES) == _figure_builders(), "give every figure builder of app.charts a sample input here"
    drawn: set[str] = set()
    for name, calls in SAMPLES.items():
        for lang in ("en", "nb"):
            figures = [getattr(charts, name)(*args, **kwargs, lang=lang) for args, kwargs in calls]
            assert figures[0]["data"], f"{name}'s first sample draws no trace"  # so its types are seen
            drawn |= {trace["type"] for fig in figures for trace in fig["data"]}
    missing = drawn - set(_about()["traces"])
    assert not missing, f"app/charts draws {sorted(missing)}, which {BUNDLE} lacks: add to TRACES and {REBUILD}"
