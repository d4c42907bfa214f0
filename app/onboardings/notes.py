"""What a person writes that is kept and shown to colleagues, auditors and exports: a hand-off's
note, an attestation's note, why an onboarding was closed or an attestation withdrawn. A secret
pasted into it by mistake (an Okta API token copied from the step before, say) is masked before it
is stored, and the person is told; a refused form gives back what they typed, never the secret.

The columns mask again on their way into the database (app/store/base.py, MaskedString), whatever
path writes them; masking here is what lets the page say so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.common.text import and_list
from app.common.validation import Fields
from app.vault.redaction import REDACTOR


@dataclass(frozen=True)
class Written:
    text: str  # as it is kept: masked
    masked: tuple[str, ...]  # what was masked, in words ("an Okta API token"); empty: nothing


def masked(value: str) -> Written:
    """``value`` as it may be kept, or shown again on a refused form: a secret in it masked."""
    scrubbed = REDACTOR.scrub(value)
    return Written(scrubbed.text, scrubbed.found)


def written(form: Fields, name: str, **checks: Any) -> Written:
    """The field ``name`` checked as :meth:`Fields.text` checks it (``checks``), masked."""
    return masked(form.text(name, **checks))


def masked_words(masked: tuple[str, ...], where: str = "your note") -> str:
    """What the page says after a note with something masked in it ("" when nothing was)."""
    if not masked:
        return ""
    what = and_list(masked)
    return f"Something in {where} looked like a secret ({what}) and was masked: it is not stored."


def sentences(*parts: str) -> str:
    """The page's message: the sentences given, those empty left out."""
    return " ".join(part for part in parts if part)
