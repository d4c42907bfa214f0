"""QA walk 18, L1: a choice nobody can change any more (here, undone) reads as the words it was chosen by
("Read/write: Oort can also take remediation actions"), not as its key ("read_write")."""

from __future__ import annotations

import re

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def test_a_settled_choice_reads_as_its_words(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start("oort", j.connect(sandbox_org.demo.admin_token))
    j.save_values(oid, "choose_access", access="read_write")
    j.plan_and_apply(oid)
    j.submit(j.form(j.get(f"/onboardings/{oid}/undo").text, "/undo"))  # as the walk saw it: nobody edits it now
    j.wait_for_jobs()
    page = j.get(f"/onboardings/{oid}").text
    shown = "".join(re.findall(r'<dl class="facts step__values">(.*?)</dl>', page, re.S))
    assert "<dt>Kind of setup</dt><dd>Read/write: Oort can also take remediation actions</dd>" in shown, shown
    assert "read_write" not in shown


def test_an_undone_onboardings_steps_not_done_are_not_to_do(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Undone half-way, its steps not done read "to do" beside "Nothing more to do" (QA walk 18, M2)."""
    assert sandbox_org.demo is not None
    oid = j.start("oort", j.connect(sandbox_org.demo.admin_token))
    j.plan_and_apply(oid)
    assert 'pill--step-todo">to do</span>' in j.get(f"/onboardings/{oid}").text
    j.submit(j.form(j.get(f"/onboardings/{oid}/undo").text, "/undo"))
    j.wait_for_jobs()
    page = j.get(f"/onboardings/{oid}").text
    assert 'pill--step-todo">not done</span>' in page and ">to do</span>" not in page
