"""docs/coverage.md is generated from the playbooks and must be current."""

from __future__ import annotations

from app.engine.kinds import KINDS
from app.playbooks.coverage import COVERAGE_FILE, render
from app.playbooks.loader import PlaybookLibrary


def test_coverage_document_is_current() -> None:
    assert COVERAGE_FILE.read_text() == render(PlaybookLibrary.load(KINDS)), "run `onboard coverage`"


def test_every_outline_step_appears_in_the_coverage_document() -> None:
    text = COVERAGE_FILE.read_text()
    for playbook in PlaybookLibrary.load(KINDS).all():
        assert f"## {playbook.name}" in text
        for outline in playbook.outline:
            for number in outline.steps:
                assert f"| {outline.title} | {number} |" in text, (playbook.key, outline.title, number)
