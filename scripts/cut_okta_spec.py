"""Cut the operations the sandbox Okta serves out of Okta's Management API spec.

Reads the resolvable copy of Okta's spec (default: /work/shared/okta/management-openapi.patched.yaml,
provenance in spec/okta/SOURCE.md), keeps exactly the operations listed in
``okta_sandbox.operations.OPERATIONS`` (with their path-level parameters) and every component they
reference, transitively (``$ref`` strings and discriminator mappings), and writes
spec/okta/management-subset.yaml. The output is deterministic: the same input gives the same bytes.

Run: .venv/bin/python scripts/cut_okta_spec.py [INPUT] [OUTPUT]
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from okta_sandbox.operations import OPERATIONS  # noqa: E402  (needs the project root on sys.path)

DEFAULT_INPUT = Path("/work/shared/okta/management-openapi.patched.yaml")
DEFAULT_OUTPUT = ROOT / "spec" / "okta" / "management-subset.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
COMPONENT_PREFIX = "#/components/"


def _references(node: Any) -> list[str]:
    """Every component pointer inside ``node``: ``$ref`` strings and discriminator mappings.

    A ``$ref`` whose value is not a string is a property *named* ``$ref`` (Okta's user schema
    declares one), not a reference, so it is walked like any other schema."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "$ref" and isinstance(value, str):
                    found.append(value)
                elif key == "discriminator" and isinstance(value, dict):
                    found.extend(v for v in (value.get("mapping") or {}).values() if isinstance(v, str))
                    stack.append(value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _component(spec: dict[str, Any], pointer: str) -> tuple[str, str, Any]:
    if not pointer.startswith(COMPONENT_PREFIX):
        raise SystemExit(f"unexpected reference outside components: {pointer}")
    section, name = pointer[len(COMPONENT_PREFIX):].split("/", 1)
    if "/" in name:
        raise SystemExit(f"unexpected nested component reference: {pointer}")
    try:
        return section, name, spec["components"][section][name]
    except KeyError:
        raise SystemExit(f"dangling reference: {pointer}") from None


def cut(spec: dict[str, Any]) -> dict[str, Any]:
    wanted: dict[str, set[str]] = {}
    for op in OPERATIONS:
        wanted.setdefault(op.path, set()).add(op.method.lower())

    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():  # keep the spec's own order
        if path not in wanted:
            continue
        kept = {key: value for key, value in item.items() if key not in HTTP_METHODS or key in wanted[path]}
        missing = wanted[path] - kept.keys()
        if missing:
            raise SystemExit(f"the spec has no {sorted(missing)} on {path}")
        paths[path] = kept
    absent = wanted.keys() - paths.keys()
    if absent:
        raise SystemExit(f"paths not in the spec: {sorted(absent)}")
    for op in OPERATIONS:
        declared = paths[op.path][op.method.lower()].get("operationId")
        if declared != op.operation_id:
            raise SystemExit(f"{op.method} {op.path} is {declared} in the spec, not {op.operation_id}")

    components: dict[str, dict[str, Any]] = {"securitySchemes": dict(spec["components"]["securitySchemes"])}
    pending = _references(paths)
    seen: set[str] = set()
    while pending:
        pointer = pending.pop()
        if pointer in seen:
            continue
        seen.add(pointer)
        section, name, value = _component(spec, pointer)
        components.setdefault(section, {})[name] = value
        pending.extend(_references(value))
    # Sections and names in the spec's own order, so a re-cut of a new spec diffs cleanly.
    ordered = {
        section: {name: components[section][name]
                  for name in spec["components"][section] if name in components[section]}
        for section in spec["components"]
        if section in components
    }

    used_tags = {tag for item in paths.values() for key, op in item.items() if key in HTTP_METHODS
                 for tag in op.get("tags", [])}
    out: dict[str, Any] = {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec["servers"],
        "tags": [tag for tag in spec.get("tags", []) if tag["name"] in used_tags],
        "paths": paths,
        "components": ordered,
    }
    if "externalDocs" in spec:
        out["externalDocs"] = spec["externalDocs"]
    return out


class _Dumper(yaml.CSafeDumper):
    """Never emit YAML anchors: the spec shares nodes after parsing, and aliases would make the cut
    harder to read and to diff."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_INPUT
    target = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUTPUT
    raw = source.read_bytes()
    spec = yaml.load(raw, Loader=yaml.CSafeLoader)
    subset = cut(spec)
    header = (
        "# Cut from Okta's Management API spec by scripts/cut_okta_spec.py; do not edit by hand.\n"
        f"# Input: {source.name}, sha256 {hashlib.sha256(raw).hexdigest()}\n"
        "# Provenance and licence: spec/okta/SOURCE.md and spec/okta/NOTICE (Apache-2.0).\n"
    )
    body = yaml.dump(subset, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + body, encoding="utf-8")
    operations = sum(1 for item in subset["paths"].values() for key in item if key in HTTP_METHODS)
    schemas = len(subset["components"].get("schemas", {}))
    print(f"{target}: {len(subset['paths'])} paths, {operations} operations, {schemas} schemas, "
          f"sha256 {hashlib.sha256(target.read_bytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
