"""The accessibility check: axe-core (vendored beside this file) run in the page under test.

A page passes when axe reports no violation of impact *serious* or *critical* against WCAG 2.x A
and AA and axe's best practices. The script is evaluated through the DevTools protocol, which the
Content-Security-Policy does not govern, so nothing about the product changes for the test.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

from tests.access import MATRIX

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def preload(context: BrowserContext) -> None:
    """Put axe in every document the context opens from now on, before the page's own scripts (an
    init script, which the Content-Security-Policy does not govern either): a journey that checks
    page after page then sends axe to the browser once, not once a page (36 pages: 1.7 s to 0.2 s)."""
    context.add_init_script(path=AXE)


def violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe finds on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_source())
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                           resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                html: v.nodes.slice(0, 2).map(n => n.html.slice(0, 200))}));
        }""",
        TAGS,
    )
    return [v for v in found if v["impact"] in BLOCKING]


def assert_accessible(page: Page, where: str) -> None:
    found = violations(page)
    assert found == [], f"{where} ({page.url}):\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}; at {v['targets']} {v['html']}" for v in found)


# GET routes that are not pages a person reads: probes, files, fragments polled by htmx, and the
# sign-in hand-offs to an identity provider.
NOT_PAGES = frozenset({
    "/healthz", "/readyz", "/favicon.ico", "/sign-in/oidc", "/sign-in/oidc/callback", "/setup",
    "/onboardings/{onboarding_id}/progress", "/onboardings/{onboarding_id}/report.pdf",
    "/onboardings/{onboarding_id}/events.{fmt}", "/onboardings/{onboarding_id}/checklist.csv",
    "/audit/events.{fmt}",
    "/onboardings/{onboarding_id}/secrets/{purpose}",
})


def pages_for(role: str, onboarding_id: str) -> list[str]:
    """Every page of tests/access.py that ``role`` may open, those of one onboarding filled in."""
    return [entry.path.replace("{onboarding_id}", onboarding_id) for entry in MATRIX
            if entry.method == "GET" and entry.path not in NOT_PAGES and role in entry.allowed]
