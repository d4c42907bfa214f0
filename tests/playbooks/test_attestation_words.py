"""An attestation's label is what the person confirms: its button reads "I confirm: <label>", and the
report lists it as attested by a named person. "I confirm: You can sign in to Authomize as a system
administrator" put the confirmation in the wrong person (QA walk 15, L3)."""

from __future__ import annotations

from app.engine.kinds import KINDS
from app.playbooks.loader import PlaybookLibrary


def test_no_attestation_speaks_to_the_person_who_confirms_it() -> None:
    for playbook in PlaybookLibrary.load(KINDS).all():
        for step, check in playbook.checks():
            if check.kind == "attest":
                first = check.label.split()[0].lower()
                assert first not in ("you", "your"), (playbook.key, step.number, check.label)
