"""axe-core in a Playwright page: the WCAG 2 A and AA rules, and what they find that is serious or
critical, in words a person can act on.

axe-core comes from npm into tests/browser/.axe (tests/browser/install-axe.sh; scripts/test and .ci/run
run it). Under CI (CI=true) a missing axe-core fails the audit; elsewhere it skips, saying how to install.
The app's Content-Security-Policy refuses an injected script: audit in a context made with
`bypass_csp=True` (not the `page` fixture, which fails a test on any CSP violation)."""

import os
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
INSTALL = "tests/browser/install-axe.sh"
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe's tags); axe's best practices are not part of the goal
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = {"serious", "critical"}

_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags }, resultTypes: ["violations"], iframes: false,
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      impact: n.impact, target: n.target.map(String).join(" "), summary: n.failureSummary,
    })),
  }));
}"""


@cache
def _source() -> str | None:
    return AXE_JS.read_text(encoding="utf-8") if AXE_JS.is_file() else None


def axe_source() -> str:
    """axe.min.js's text; a failure under CI, a skip elsewhere, when it is not installed."""
    source = _source()
    if source is None:
        message = f"axe-core is not installed ({AXE_JS} is missing): run {INSTALL} (needs npm)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return source


def serious_violations(page: Page) -> list[dict]:
    """axe's WCAG 2 A/AA violations on the page as it is now, the nodes of impact serious or critical only."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    found = []
    for violation in page.evaluate(_RUN, TAGS):
        nodes = [n for n in violation["nodes"] if (n["impact"] or violation["impact"]) in SERIOUS]
        if nodes:
            found.append({**violation, "nodes": nodes})
    return found


def describe(where: str, violations: list[dict], *, nodes_shown: int = 5) -> list[str]:
    """One line per violation (where, rule id, impact, help text and link), then its elements' selectors."""
    lines = []
    for v in violations:
        lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:nodes_shown]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}  [{node['impact']}] {summary[:300]}")
        if len(v["nodes"]) > nodes_shown:
            lines.append(f"    ... and {len(v['nodes']) - nodes_shown} more")
    return lines
