"""The engine's action and check kinds, as the playbook loader checks playbooks against them
(app/playbooks/kinds.py: ``KindCatalog``). The loader is given ``KINDS`` by whoever builds the
playbook library (app/main.py, app/cli.py), so the playbooks package never imports the engine."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.actions import Action, registry
from app.engine.checks import Check, check_registry


class EngineKinds:
    def actions(self) -> Mapping[str, type[Action]]:
        return registry()

    def checks(self) -> Mapping[str, type[Check]]:
        return check_registry()


KINDS = EngineKinds()
