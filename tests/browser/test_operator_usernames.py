"""The Operators page in Debian's Chromium (QA walk): usernames broke mid-word on a desktop screen
("christopher.montgomer|y-smith@acme.example", "ops+helpdesk_europe@a|cme.example"), a column
squeezed by a rule that let any code break anywhere. On a desktop they stay whole (a username
longer than the column wraps before its "@"); on a phone the stacked table still fits the width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.driver import Journey
from tests.flows import add_operator_in_ui, first_admin

pytestmark = pytest.mark.browser

ORDINARY = ["christopher.montgomery-smith@acme.example", "defender.for.identity.svc.reader",
            "ops+helpdesk_europe@acme.example"]
LONGEST = "ops+helpdesk_europe_middle_east_and_africa_line2@acme.example"  # 61 of the 64 characters allowed

# Where each username's text goes onto a new line: the index of each character that starts a line.
_LINE_STARTS = """() => Object.fromEntries(
    [...document.querySelectorAll('td[data-label="Username"] code')].map(code => {
  const tops = [];
  const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      tops.push(Math.round(range.getBoundingClientRect().top));
    }
  }
  return [code.textContent, tops.flatMap((top, i) => (i && top > tops[i - 1] ? [i] : []))];
}))"""


def _line_starts(page: Page, width: int) -> dict[str, list[int]]:
    page.set_viewport_size({"width": width, "height": 900})
    page.reload()
    starts: dict[str, list[int]] = page.evaluate(_LINE_STARTS)
    return starts


def test_usernames_wrap_only_where_a_reader_expects(journey: Journey) -> None:
    page = journey.page
    first_admin(page, journey.server)
    for number, username in enumerate([*ORDINARY, LONGEST]):
        add_operator_in_ui(page, username, f"Person {number}", "operator", "a long enough password")

    desktop = _line_starts(page, 1280)
    for username in ORDINARY:
        assert desktop[username] == [], f"{username} wraps on a desktop screen at {desktop[username]}"
    # Longer than its column can be: on a second line from its "@", not mid-name.
    assert desktop[LONGEST] in ([], [LONGEST.index("@")]), desktop[LONGEST]

    # Between a phone and a desktop (a laptop's split screen, a tablet) the page does not scroll
    # sideways either: at 800 px the table ran 21 px past the screen, its Actions cut (QA walk 14).
    for width in (800, 1024, 1100):
        _line_starts(page, width)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the Operators page scrolls sideways at {width} px ({wide} px wide)"
    phone = _line_starts(page, 390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the Operators page scrolls sideways"
    for username in ORDINARY:
        for start in phone[username]:
            assert username[start] == "@" or username[start - 1] == "-", f"{username} breaks at {start} on a phone"
    journey.watch.assert_clean()


# Each visible "Set e-mail" / "Change e-mail" control: its words as a person reads them (not the
# visually hidden rest of its name), and on how many lines its "e-mail" is drawn.
_EMAIL_CONTROLS = """() => [...document.querySelectorAll('td[data-label="E-mail"] summary')]
  .filter(element => element.offsetParent !== null)
  .map(element => {
    const words = [...element.childNodes].filter(node => !(node.classList || {contains: () => false})
      .contains('visually-hidden')).map(node => node.textContent).join('');
    const tops = new Set();
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent.indexOf('e-mail');
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + 6);
      for (const rect of range.getClientRects()) tops.add(Math.round(rect.top));
    }
    return [words.trim(), tops.size];
  })"""


def test_the_e_mail_controls_never_break_inside_e_mail_on_a_phone(journey: Journey) -> None:
    """QA L8: the Operators page's "Set e-mail" read "Set", "e-" and "mail" on three lines in its
    column, from a phone held sideways to a laptop: "e-mail" is never broken."""
    page = journey.page
    first_admin(page, journey.server)
    add_operator_in_ui(page, "christopher.montgomery-smith@acme.example", "Christopher Montgomery-Smith",
                       "operator", "a long enough password")
    for width in (320, 390, 800, 1024, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        controls = page.evaluate(_EMAIL_CONTROLS)
        assert len(controls) == 2, controls
        for words, lines in controls:
            assert words.endswith("e-mail") and lines == 1, (width, words, lines)
        if width < 768:  # a phone: the stacked table fits
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"scrolls sideways at {width} px"
    journey.watch.assert_clean()
