"""The checks a kept secret's destruction would leave unable to pass: attesting a step destroys the
values kept for it, and a check that still reads one of them, not passed yet, could then never pass.
The service refuses such an attestation, and the next-step card asks to verify first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from app.store.statuses import CheckStatus

if TYPE_CHECKING:
    from app.onboardings.view import OnboardingView, StepView
    from app.playbooks.schema import CheckSpec, Playbook


def dead_end_reads(playbook: Playbook, check: CheckSpec, kept: Iterable[Any],
                   status_of: Mapping[str, str | None]) -> list[CheckSpec]:
    """The checks that read a kept secret (``kept``: the onboarding's secret rows not destroyed)
    which attesting ``check`` destroys, and have not passed: attested now, the onboarding could never
    be verified (Authomize's client-credentials test reads the client secret its step 6 destroys)."""
    doomed = {secret.purpose for secret in kept if check.destroys(secret)}
    return [reader for _step, reader in playbook.checks() if doomed and reader.kind != "attest"
            and doomed & reader.names()
            and status_of.get(reader.key) not in (CheckStatus.passed, CheckStatus.accepted)]


def attest_blocked_by(view: OnboardingView, check: CheckSpec) -> str | None:
    """The label of a check that attesting ``check`` now would leave unable to pass (it destroys a
    value the check reads, and the service refuses it): the step says to verify first."""
    kept = [secret for secret in view.secrets if secret.destroyed_at is None]
    status_of = {c.spec.key: c.status for _s, steps in view.sections for sv in steps for c in sv.checks}
    readers = dead_end_reads(view.loaded.playbook, check, kept, status_of)
    return readers[0].label if readers else None


def attest_would_destroy(view: OnboardingView, person: StepView) -> str | None:
    """The label of a check that attesting ``person`` now would leave unable to pass (the card asked
    for it, and the press was refused: QA)."""
    return next((blocked for check in person.checks if check.spec.kind == "attest"
                 and check.status != CheckStatus.attested and (blocked := attest_blocked_by(view, check.spec))), None)
