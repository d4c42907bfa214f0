"""Checks on the org's directory as a whole: the email domains of the users a vendor syncs (every
status it names, read page by page, keeping only a count per domain and per status, so memory stays
flat however large the org), and that a group the operator named exists."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import Field, field_validator

from app.engine.checks.base import ACCEPTED_BY, UNMET, Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.engine.scope import Scope
from app.okta.models import Group
from app.store.statuses import CheckStatus

NO_EMAIL = "(no email)"
# How many domains the page and the recorded fact list; the count of the rest is kept.
LISTED_DOMAINS = 20
# Every status an Okta user can have. GET /api/v1/users without a filter omits DEPROVISIONED users;
# a filter naming the statuses returns exactly those, DEPROVISIONED included (Okta's spec, listUsers).
USER_STATUSES = ("STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED",
                 "DEPROVISIONED")


class EmailDomainsParams(CheckParams):
    page_size: int = 200  # Okta's maximum for /api/v1/users
    # An attestation that several domains are fine (the vendor enabled them), if the playbook has one.
    accepted_by: str | None = None
    # Facts for the playbook: whether several domains were found, and the counts.
    multiple_fact: str = "email_domains_multiple"
    counts_fact: str = "email_domains"
    vendor: str = "the vendor"
    # The statuses of the users the vendor syncs, whose addresses are counted.
    statuses: list[str] = Field(default_factory=lambda: list(USER_STATUSES), min_length=1)

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        unknown = [status for status in value if status not in USER_STATUSES]
        if unknown:
            raise ValueError(f"unknown user status(es) {', '.join(unknown)}")
        return [status for status in USER_STATUSES if status in value]


def status_filter(statuses: list[str]) -> str:
    return " or ".join(f'status eq "{status}"' for status in statuses)


def _statuses_text(statuses: list[str]) -> str:
    return "all statuses" if len(statuses) == len(USER_STATUSES) else ", ".join(statuses)


def _domain(item: Any) -> str:
    profile = item.get("profile") if isinstance(item, dict) else None
    email = str((profile or {}).get("email") or "")
    return email.rsplit("@", 1)[1].strip().lower() if "@" in email else NO_EMAIL


def _listing(counts: Counter[str]) -> str:
    top = counts.most_common(LISTED_DOMAINS)
    text = ", ".join(f"{domain} ({count:,})" for domain, count in top)
    rest = len(counts) - len(top)
    return text + (f" and {rest} more" if rest > 0 else "")


@register
class EmailDomains(Check):
    """The email addresses of the users the vendor syncs share one domain (or several were accepted)."""

    kind = "email_domains"
    produces = frozenset({"{multiple_fact}", "{counts_fact}"})
    params_model = EmailDomainsParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: EmailDomainsParams = self.params(ctx)
        counts: Counter[str] = Counter()
        by_status: Counter[str] = Counter()
        users = pages = 0
        # One filtered listing covers every status named (DEPROVISIONED too, which an unfiltered
        # listing omits). Only the fields the count needs; each page is dropped before the next.
        async for page in ctx.okta.users.pages(filter=status_filter(p.statuses), limit=p.page_size,
                                               fields="id,status,profile:(email)"):
            pages += 1
            for item in page:
                counts[_domain(item)] += 1
                by_status[str(item.get("status") if isinstance(item, dict) else "") or "?"] += 1
            users += len(page)
            await ctx.progress(f"Counting email domains: {users:,} users read", done=users)
        counted = _statuses_text(p.statuses)
        per_status = ", ".join(f"{by_status[s]:,} {s}" for s in p.statuses if by_status[s])
        about = f"Counted: users of {counted} ({', '.join(p.statuses)})" + \
            (f"; found {per_status}" if per_status else "")
        evidence: dict[str, Any] = {"users": users, "pages": pages, "domains": dict(counts.most_common(LISTED_DOMAINS)),
                                    "domain_count": len(counts), "statuses": list(p.statuses),
                                    "by_status": dict(by_status)}
        facts = {p.multiple_fact: len(counts) > 1, p.counts_fact: evidence}
        if len(counts) <= 1:
            only = next(iter(counts), None)
            found = (f"All {users:,} users have addresses on {only}. {about}" if only else
                     f"The org has no users to count. {about}")
            return CheckOutcome(CheckStatus.passed, found, None, evidence, facts)
        found = f"The {users:,} users' addresses are on {len(counts)} domains: {_listing(counts)}. {about}"
        return _several(p, found, state, evidence, facts)

    def from_facts(self, scope: Scope, state: CheckState) -> CheckOutcome | None:
        """Several domains, as the last verification counted them: named on the page even when
        that run is older than a later step, and accepted as soon as the attestation is given (the
        step asked for it without naming the domains, and read "failed" after it: QA walk 8, M3)."""
        p = EmailDomainsParams.model_validate(self.raw_params)
        counted = scope.facts.get(p.counts_fact)
        if not scope.facts.get(p.multiple_fact) or not isinstance(counted, dict):
            return None
        domains = Counter({str(k): int(v) for k, v in (counted.get("domains") or {}).items()})
        listing = _listing(domains)
        rest = int(counted.get("domain_count") or len(domains)) - len(domains)
        found = (f"At the last verification, the {int(counted.get('users') or 0):,} users' addresses were on "
                 f"{int(counted.get('domain_count') or len(domains))} domains: {listing}"
                 + (f" and {rest} more" if rest > 0 else ""))
        return _several(p, found, state, counted, {})


def _several(p: EmailDomainsParams, found: str, state: CheckState, evidence: dict[str, Any],
             facts: dict[str, Any]) -> CheckOutcome:
    """Several domains: accepted once the vendor's acceptance is attested, failed until then. Okta
    still does not meet the item, so it is not passed: the evidence names the attestation it rests
    on and what Okta shows, for the report's Result column."""
    accepted = state.attestations.get(p.accepted_by or "")
    if accepted:
        unmet = f"Okta shows {int(evidence.get('domain_count') or 0):,} email domains"
        return CheckOutcome(CheckStatus.accepted,
                            f"{found}. {p.vendor} syncs them all (attested by {accepted['by']} on {accepted['at']})",
                            None, {**evidence, ACCEPTED_BY: p.accepted_by, UNMET: unmet}, facts)
    domains = int(evidence.get("domain_count") or len(evidence.get("domains") or {}))
    problem = f"The users' addresses are on {domains} email domains, and {p.vendor} syncs one unless its Technical " \
              f"Support enables more"
    return CheckOutcome(CheckStatus.failed, found,
                        f"{p.vendor} syncs one email domain unless its Technical Support enables more: ask them, "
                        "then attest it on this step; or give every person an address on one domain.",
                        {**evidence, "problem": problem}, facts)


class GroupParams(CheckParams):
    name: str
    purpose: str = "the group"


@register
class GroupExists(Check):
    kind = "group_exists"
    params_model = GroupParams

    def unready(self) -> CheckOutcome:
        return CheckOutcome.failed("No group was named", "Name the group on this step, or leave it empty.")

    async def check(self, ctx: Context, state: CheckState, p: GroupParams) -> CheckOutcome:
        group: Group | None = await ctx.cached(f"group:{p.name}", lambda: ctx.okta.groups.find_by_name(p.name))
        if group is None:
            # Suggest the org's groups that start like the name given (a typo is the usual cause).
            similar = await ctx.okta.groups.named_like(p.name[:3]) if p.name[:3].strip() else []
            hint = f" Groups starting with “{p.name[:3]}”: {', '.join(g.name for g in similar)}." if similar else ""
            return CheckOutcome.failed(f"No Okta group is named “{p.name}”.{hint}",
                                       f"Correct {p.purpose} (as named in Directory > Groups), or leave it empty.",
                                       suggestions=[g.name for g in similar])
        return CheckOutcome.passed(f"The group “{group.name}” exists ({group.id})", group_id=group.id)
