"""The audit report as a PDF (fpdf2: pure Python, fonts vendored, so nothing to install)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from app.common.moments import stamp
from app.common.text import counted
from app.reports.data import Report, WatchEntry
from app.store.statuses import EVIDENCE_WORDS, ONBOARDING_WORDS, OUTCOME_WORDS, Outcome

FONTS = Path(__file__).resolve().parent / "fonts"
HEADINGS = FontFace(emphasis="BOLD", fill_color=(238, 240, 245))


def _when(moment: datetime | None) -> str:
    return stamp(moment) if isinstance(moment, datetime) else "—"


def _to_the_second(moment: datetime) -> str:
    """A timeline row's moment, in UTC as the PDF's others, to the second: many actions happen
    within one minute (thirteen read "11:32": QA walk 11, L8)."""
    at = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # naive ones are UTC, as stored
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _cleared(alert: WatchEntry) -> str:
    """The page's words: "open", a time, or why it closed unresolved and when ("superseded by a later
    alert, <time>", "closed, the onboarding was undone, <time>")."""
    if alert.cleared_at is None:
        return "open"
    return alert.closed_words + _when(alert.cleared_at)


class _Document(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVuMono", "", str(FONTS / "DejaVuSansMono.ttf"))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(f"Audit report: {report.vendor} onboarding")
        self.set_author("Okta onboarding wizard")
        self.set_creator("Okta onboarding wizard")

    def header(self) -> None:
        self.set_font("DejaVu", "", 8)
        self.set_text_color(90, 100, 117)
        self.cell(0, 5, f"Audit report · {self.report.vendor} · {self.report.org}", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(90, 100, 117)
        self.cell(0, 5, f"Generated {_when(self.report.generated_at)} by {self.report.generated_by} · page "
                        f"{self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str, size: int = 13) -> None:
        if self.will_page_break(30):  # kept with what follows it: it stood alone at a page's foot (walk 25, L7)
            self.add_page()
        self.ln(2)
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 9)

    def rows(self, widths: tuple[int, ...], headings: list[str], rows: Iterable[list[str]]) -> None:
        """A table of 8-point text under bold headings on a grey band, as every table here is drawn."""
        self.set_font("DejaVu", "", 8)
        with self.table(col_widths=widths, headings_style=HEADINGS, line_height=4.5, text_align="LEFT") as table:
            table.row(headings)
            for row in rows:
                table.row(row)

    def para(self, text: str) -> None:
        self.set_font("DejaVu", "", 9)
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")


def render_pdf(report: Report) -> bytes:
    pdf = _Document(report)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.heading(f"{report.vendor} onboarding", 16)
    pdf.para(f"Document: {report.document_title} ({report.document})")
    pdf.para(f"Okta org: {report.org} (org id {report.org_id or 'unknown'})")
    status = ONBOARDING_WORDS.get(report.status, report.status)
    pdf.para(f"Status: {status}" + (f" — {report.status_note}" if report.status_note else ""))
    again = f" (completed again; first completed {_when(report.first_completed_at)})" \
        if report.first_completed_at else ""
    pdf.para(f"Started {_when(report.started_at)} by {report.created_by}; completed {_when(report.completed_at)}"
             f"{again}{report.since_completed}; owner {report.assignee}.")
    pdf.para(f"Operators involved: {', '.join(report.operators) or '—'}. Okta calls recorded: {report.okta_calls}.")
    pdf.para(report.chain_words)

    pdf.heading("Checklist")
    pdf.para(f"Last verification: {_when(report.verified_at)}. {report.count_words}")
    pdf.rows((40, 55, 20, 75), ["Step", "Item", "Result", "Evidence"], (
        [f"{item.section} › {item.step}", item.label, item.result,
         item.evidence_words()]
        for item in report.checklist))

    if report.values:
        pdf.heading("Values given")
        pdf.rows((60, 60, 70), ["Step", "Value", "Given"], ([v.step, v.label, v.words] for v in report.values))

    pdf.heading("What the wizard did in Okta")
    pdf.set_font("DejaVu", "", 8)
    several = len(report.plans) > 1
    if several:
        pdf.multi_cell(0, 4.5, f"{len(report.plans)} plans were confirmed; each action is compared with the plan it "
                               "was applied under.",
                       new_x="LMARGIN", new_y="NEXT")
    for plan in report.plans:
        differences = plan.differences
        differs = (f"{counted(differences, 'action')} {'was' if differences == 1 else 'were'} applied differently "
                   "from it." if differences else
                   f"Every action applied{' under it' if several else ''} was applied as it said.")
        pdf.multi_cell(0, 4.5, f"{f'Plan {plan.number}' if several else 'The plan'} was confirmed "
                               f"{_when(plan.confirmed_at)} by {plan.confirmed_by} ({counted(plan.items, 'line')}). "
                               f"{differs}", new_x="LMARGIN", new_y="NEXT")
    pdf.rows((40, 65, 35, 25, 25), ["Step", "Action", "Okta object", "Confirmed plan", "Outcome"], (
        [a.step, a.summary, a.object_id or "—",
         (a.planned or "not in it") + (f" (plan {a.plan_number})" if several else "")
         + ("" if a.as_planned is None else ": as confirmed" if a.as_planned else ": differs, see Outcome"),
         a.outcome_words]
        for a in report.actions))
    if report.okta_changes:
        pdf.heading("Outside the plan", 11)
        pdf.para("Changed in Okta when someone pressed a button on the onboarding's page:")
        pdf.rows((32, 28, 75, 55), ["When", "Who", "What", "Okta call"], (
            [_to_the_second(change.at), change.by, change.summary, "\n".join(change.calls) or "none recorded"]
            for change in report.okta_changes))

    pdf.heading("The watch")
    pdf.set_font("DejaVu", "", 8)
    if report.vendor_use is not None:
        use = report.vendor_use
        pdf.multi_cell(0, 4.5, f"Vendor connected, as Okta shows it: {EVIDENCE_WORDS.get(use.state, use.state)} — "
                               f"{'; '.join((use.text, *use.notes))}.", new_x="LMARGIN", new_y="NEXT")
    if report.completed_at is None:
        pdf.multi_cell(0, 4.5, "Watched once completed: not yet.")
    else:
        # The page's words: "Re-verified by the watch 1 time since completion; 1 alert:", "...; no alert."
        alerts = counted(len(report.watch), "alert") if report.watch else "no alert"
        pdf.multi_cell(0, 4.5, f"Re-verified by the watch {counted(report.watch_runs, 'time')} since completion; "
                               f"{alerts}.")
        if report.watch:
            pdf.rows((32, 126, 32), ["Raised", "Finding", "Cleared"], (
                [_when(alert.raised_at), alert.summary, _cleared(alert)]
                for alert in report.watch))

    pdf.heading("Timeline")
    # The outcome in the product's words, as the page's timeline says it ("refused", not "denied").
    pdf.rows((32, 28, 130), ["When", "Who", "What"], (
        [_to_the_second(entry.at), entry.actor,
         entry.summary + ("" if entry.outcome == Outcome.ok else
                          f" ({OUTCOME_WORDS.get(entry.outcome, entry.outcome).lower()})")
         + (f"\nNote: “{entry.note}”" if entry.note else "")]
        for entry in report.timeline))
    return bytes(pdf.output())
