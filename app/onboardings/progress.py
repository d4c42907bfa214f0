"""How far the operator is in each section of the document: the page's section list draws it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.store.statuses import StepState

if TYPE_CHECKING:
    from app.onboardings.view import OnboardingView, StepView


@dataclass
class SectionProgress:
    key: str
    title: str
    done: int
    total: int
    current: bool


def progress(view: OnboardingView, current: StepView | None) -> list[SectionProgress]:
    """Each section of the document with how many of its steps are done."""
    out = []
    for section, svs in view.sections:
        counted = [sv for sv in svs if sv.tracked]
        out.append(SectionProgress(
            key=section.key, title=section.title, done=sum(1 for sv in counted if sv.state == StepState.done),
            total=len(counted), current=current is not None and current in svs))
    return out
