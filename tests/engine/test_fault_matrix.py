"""The fault matrix: every Okta write that an uninterrupted onboarding of each vendor makes (and
the first read of each action that writes nothing), failed in every way the sandbox can fail a
call, then retried the way the operator retries.

For each cell: the apply stops with a message that names the step and what Okta (or the network)
did, on the action, on the onboarding and on its page, unless the client may safely retry the
call itself (a 429 it is told to wait out, a read); then the page's Retry finishes the onboarding,
which must end exactly as an uninterrupted run ends: the same org (every object once), the same
records of what the onboarding made (what undo would remove), the same kept secrets, working.

The calls come from a clean run of each vendor made while the tests are collected, from the
audit trail's ``okta_call`` events, so a new action or call is covered without editing this file.
Every cell runs on SQLite; on Postgres, a representative few. Figures (cells, faults injected,
retries that converged, duplicates) go to ``.pytest_cache/d/fault-matrix/summary.json``."""

from __future__ import annotations

import functools
import html
import inspect
import json
import os
import re
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.common.text import error_parts
from app.okta.http import OktaHttp
from app.okta.ratelimit import RateLimitPolicy
from app.settings import Environment, Settings
from app.store.migrate import upgrade
from app.vault.keyring import Key
from okta_sandbox import SandboxOrg
from okta_sandbox.faults import FaultKind, FaultRule
from tests.faultmatrix import (
    BY_KEY,
    OPERATOR,
    Baseline,
    Bench,
    Call,
    Tally,
    action_rows,
    apply_ok,
    audit_events,
    audit_seq,
    bench,
    discover_all,
    duplicates,
    kept_secrets,
    last_job,
    org_state,
    publish,
    run_onboarding,
)
from tests.harness import Wizard
from tests.support import Web

READ_ATTEMPTS = 1 + int(inspect.signature(OktaHttp).parameters["read_retries"].default)
ATTEMPTS_429 = 1 + RateLimitPolicy().max_429_retries
# How long an invisible object stays out of reads: Okta's replicas lag by about that much at worst,
# and the engine looks again after 1, 2 and 3 seconds.
HIDDEN_MS = 2500


@dataclass(frozen=True)
class Fault:
    name: str
    kind: str | None  # the failure rule's kind; None: no failure, only invisibility
    processed: bool = False  # the write is made, then its answer lost
    times: int = 1
    invisible: bool = False  # what the call creates stays out of reads for HIDDEN_MS
    passes: bool = False  # the apply goes through: the client retries safely, or the engine waits it out
    clue: str | None = None  # what the operator's message must quote of Okta's (or the network's) answer


_CLUES = {"server_error": "E0000009", "timeout": "did not answer", "drop": "dropped",
          "malformed_json": "not JSON", "rate_limit_burst": "E0000047"}


def _failing(kind: str, *, processed: bool = False, times: int = 1) -> Fault:
    return Fault(kind + ("+processed" if processed else ""), kind, processed=processed, times=times, clue=_CLUES[kind])


WRITE_FAULTS = [
    *(_failing(kind, processed=processed) for kind in ("server_error", "timeout", "drop", "malformed_json")
      for processed in (False, True)),
    _failing("rate_limit_burst", times=ATTEMPTS_429),  # more 429s than the client waits out
    Fault("rate_limit_once", "rate_limit_burst", passes=True),  # one the client waits out
    Fault("invisible", None, invisible=True, passes=True),  # created, then missing from reads a while
    Fault("invisible+lost", "drop", processed=True, invisible=True, clue="dropped"),  # ... and the answer lost
]
# Reads are retried by the client: once is absorbed, more than it retries fails the action.
READ_FAULTS = [
    *(_failing(kind, times=READ_ATTEMPTS) for kind in ("server_error", "timeout", "drop", "malformed_json")),
    _failing("rate_limit_burst", times=ATTEMPTS_429),
    Fault("server_error_once", "server_error", passes=True),
]
# On Postgres: each vendor's first write with these, and every write of a later apply with the first.
POSTGRES_FAULTS = ("timeout+processed", "invisible+lost", "server_error")


@dataclass(frozen=True)
class Cell:
    call: Call
    fault: Fault
    label: str  # the call, readable and unique within its vendor

    @property
    def id(self) -> str:
        return f"{self.call.vendor}:{self.call.action}:{self.label}:{self.fault.name}"


@functools.cache
def baselines() -> dict[str, Baseline]:
    return discover_all()


def _labels(calls: list[Call]) -> list[str]:
    seen: Counter[tuple[str, str, str]] = Counter()
    total = Counter((c.action, c.method, c.path) for c in calls)
    labels = []
    for call in calls:
        key = (call.action, call.method, call.path)
        seen[key] += 1
        labels.append(f"{call.method} {call.path}" + (f"#{seen[key]}" if total[key] > 1 else ""))
    return labels


def cells() -> list[tuple[Cell, bool]]:
    """Every cell, with whether it is in the representative subset run on Postgres too."""
    found: list[tuple[Cell, bool]] = []
    for baseline in baselines().values():
        calls = baseline.calls
        labels = dict(zip(calls, _labels(calls), strict=True))
        writers = {call.action for call in calls if call.write}
        first_write = next(call for call in calls if call.write)
        first_reads = {call.action: call for call in reversed(calls) if call.action not in writers}
        for call in calls:
            if call.write:
                for fault in WRITE_FAULTS:
                    subset = fault.name in POSTGRES_FAULTS and (
                        call == first_write or (call.phase > 0 and fault.name == POSTGRES_FAULTS[0]))
                    found.append((Cell(call, fault, labels[call]), subset))
            elif first_reads.get(call.action) == call:
                found.extend((Cell(call, fault, labels[call]), False) for fault in READ_FAULTS)
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cell" not in metafunc.fixturenames:
        return
    wanted = [b.strip() for b in metafunc.config.getoption("--db").split(",") if b.strip()]
    pairs = [(backend, cell) for backend in wanted for cell, subset in cells() if backend == "sqlite" or subset]
    metafunc.parametrize(("backend", "cell"), pairs, ids=[f"{b}-{c.id}" for b, c in pairs], indirect=["backend"],
                         scope="session")


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def matrix_bench(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    """One wizard per database for all the cells of a worker, on a database of its own (other
    tests empty theirs between tests)."""
    from tests.conftest import _create_postgres_database, _drop_postgres_database

    tmp = tmp_path_factory.mktemp(f"fault-matrix-{backend}")
    url = f"sqlite:///{tmp / 'matrix.db'}" if backend == "sqlite" else _create_postgres_database()
    try:
        upgrade(url)
        settings = Settings(environment=Environment.TEST, database_url=url, data_dir=tmp / "data",
                            secret_key=Key.generate().encoded(), sandbox_enabled=True)
        with bench(settings, backend) as running:
            yield running
    finally:
        if backend != "sqlite":
            _drop_postgres_database(url)


@pytest.fixture(scope="session")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """This worker's figures; at its end they join the other workers' in summary.json."""
    figures = Tally()
    yield figures
    if not figures.cells:
        return
    cache = getattr(request.config, "cache", None)
    root = cache.mkdir("fault-matrix") if cache is not None else request.config.rootpath / ".pytest_cache" / \
        "d" / "fault-matrix"
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"single-{os.getpid()}-{secrets.token_hex(3)}"
    summary = publish(Path(root), run, os.environ.get("PYTEST_XDIST_WORKER", "main"), figures)
    print(f"\nfault matrix so far: {json.dumps(summary)}")


# -- one cell ---------------------------------------------------------------------------------

def inject(org: SandboxOrg, baseline: Baseline, cell: Cell) -> int:
    """Add the cell's rules, aimed at its call by counting the matching calls before it; returns
    how many faulty answers they will give."""
    call, fault = cell.call, cell.fault
    probe = FaultRule(kind=FaultKind(fault.kind or "invisible"), method=call.method, path=call.path)
    skip = baseline.earlier_same(call, probe.matches)
    injected = 0
    if fault.invisible:
        org.faults.add("invisible", method=call.method, path=call.path, delay_ms=HIDDEN_MS, skip=skip)
        injected += 1
    if fault.kind is not None:
        org.faults.add(fault.kind, method=call.method, path=call.path, times=fault.times, processed=fault.processed,
                       skip=skip)
        injected += fault.times
    return injected


def onboarding_page(web: Web, oid: uuid.UUID) -> str:
    page = web.get(f"/onboardings/{oid}")
    if page.status_code in (302, 303):  # the operator's session ran out on the fake clock: sign in again
        assert web.sign_in(OPERATOR).status_code == 303
        page = web.get(f"/onboardings/{oid}")
    assert page.status_code == 200, page.status_code
    return str(page.text)


def what_the_operator_sees(w: Wizard, web: Web, baseline: Baseline, cell: Cell, oid: uuid.UUID) -> None:
    """The failed action, the onboarding and its page all say which step failed and what Okta did;
    the page offers Retry. Then Retry, as the page does it."""
    row = w.actions(oid)[cell.call.action]
    title, _kind = baseline.titles[cell.call.action]
    assert row.state == "failed", (row.state, row.error)
    error = row.error or ""
    assert error.startswith(f"“{title}” failed: "), error  # the step's title, not the action's internal kind
    assert cell.fault.clue is not None and cell.fault.clue in error, f"the message does not say what happened: {error}"
    # Told to retry once (a write Okta may have made says so itself: "Retry: the wizard checks ...").
    assert ("Retry continues from here." in error) != ("Retry: the wizard checks what exists" in error), error
    onboarding = w.onboarding(oid)
    # The status line: the error's first sentence, whole words only; the page shows all of it.
    note = onboarding.status_note or ""
    assert onboarding.status == "blocked" and note.startswith(f"“{title}” failed: ") and len(note) <= 240, note
    assert error.startswith(note.removesuffix("…")) and (note.endswith((".", "…")) or note == error), note
    page = onboarding_page(web, oid)
    # All of it, laid out as what failed, what to do, and what Okta said (QA walk 17, M7).
    assert all(part in html.unescape(page) for part in error_parts(error) if part), "the page does not show the failure"
    retry = re.search(r'<form method="post" action="([^"]+)"[^>]*>\s*<input[^>]+csrf[^>]+>\s*'
                      r'<button type="submit" class="[^"]*">Retry</button>', page)
    assert retry is not None, "the page offers no Retry"
    assert retry.group(1).endswith(f"/onboardings/{oid}/apply")
    assert web.post(retry.group(1)).status_code == 303


def test_fault_then_retry_ends_like_an_uninterrupted_run(matrix_bench: Bench, cell: Cell, tally: Tally) -> None:
    baseline = baselines()[cell.call.vendor]
    vendor = BY_KEY[cell.call.vendor]
    org = vendor.new_org(matrix_bench.clock)
    w = matrix_bench.wizard(org)
    web = Web(w.client)
    injected = 0
    failed = False

    def apply(w: Wizard, oid: uuid.UUID, phase: int) -> None:
        nonlocal injected, failed
        if phase != cell.call.phase:
            apply_ok(w, oid, phase)
            return
        since = audit_seq(w)
        injected = inject(org, baseline, cell)
        job = w.apply(oid)
        failed = job.state == "failed"
        if failed:
            assert not cell.fault.passes, f"this fault should not have stopped the apply: {job.error}"
            what_the_operator_sees(w, web, baseline, cell, oid)
            w.run(lambda: w.state.jobs.wait_idle(60))
            retried = last_job(w, oid)
            assert retried.id != job.id and retried.kind == "apply"
            assert retried.state == "succeeded", f"Retry did not finish the step: {retried.error}"
        else:
            assert job.state == "succeeded", job.error
            assert cell.fault.passes, "the apply went through a fault that should have stopped it"
        assert not org.faults.rules, f"not every fault was hit: {org.faults.rules}"
        tally.client_retries += sum(1 for e in audit_events(w, oid, since)
                                    if e.action == "okta_call" and int(e.details.get("attempt") or 1) > 1)

    oid = run_onboarding(w, vendor, org, apply)
    found = duplicates(org)
    tally.duplicates += len(found)
    assert found == [], f"objects made twice: {found}"
    assert org_state(org) == baseline.org
    assert action_rows(w, oid, org) == baseline.actions
    assert kept_secrets(w, oid, org) == baseline.secrets
    tally.cells += 1
    tally.by_backend[matrix_bench.backend] += 1
    tally.by_fault[cell.fault.name] += 1
    tally.faults_injected += injected
    if failed:
        tally.failed_then_retried += 1
    else:
        tally.absorbed += 1


def test_every_vendor_and_every_action_is_in_the_matrix() -> None:
    """The discovery found calls for all five vendors, and every action that ran has a cell."""
    found = baselines()
    assert set(found) == set(BY_KEY)
    covered = {(cell.call.vendor, cell.call.action) for cell, _subset in cells()}
    for name, baseline in found.items():
        ran = {key for key, row in baseline.actions.items() if row["state"] == "done"}
        assert ran and ran <= {action for vendor, action in covered if vendor == name}, (name, ran)
