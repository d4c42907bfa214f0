"""Vendored front-end files are what their records say they are."""

from __future__ import annotations

import hashlib
import re

from app.settings import PROJECT_ROOT


def test_vendored_htmx_matches_its_record() -> None:
    folder = PROJECT_ROOT / "static" / "vendor" / "htmx"
    record = (folder / "README.md").read_text()
    version = re.search(r"\| Version \| ([0-9.]+) \|", record)
    digest = re.search(r"\| SHA-256 \| `([0-9a-f]{64})` \|", record)
    assert version and digest
    script = folder / f"htmx-{version.group(1)}.min.js"
    assert hashlib.sha256(script.read_bytes()).hexdigest() == digest.group(1)
    assert (folder / "LICENSE").read_text().startswith("Zero-Clause BSD")
    base = (PROJECT_ROOT / "templates" / "base.html").read_text()
    assert f"vendor/htmx/htmx-{version.group(1)}.min.js" in base


def test_vendored_axe_core_matches_its_record() -> None:
    folder = PROJECT_ROOT / "tests" / "browser" / "vendor" / "axe-core"
    record = (folder / "README.md").read_text()
    version = re.search(r"\| Version \| ([0-9.]+) \|", record)
    digest = re.search(r"\| SHA-256 \| `([0-9a-f]{64})` \|", record)
    assert version and digest
    script = (folder / "axe.min.js").read_bytes()
    assert hashlib.sha256(script).hexdigest() == digest.group(1)
    assert script.startswith(f"/*! axe v{version.group(1)}".encode())
    assert "Mozilla Public License, version 2.0" in (folder / "LICENSE").read_text()
