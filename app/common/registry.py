"""A registry of classes by their ``kind``: the actions and the checks each keep one.

Each module of a package registers its classes when imported (``@registry.register``), so
adding a kind is adding a module; ``all()`` imports every module of the package first."""

from __future__ import annotations

import importlib
import pkgutil
from typing import ClassVar, Generic, Protocol, TypeVar


class Kinded(Protocol):
    kind: ClassVar[str]


K = TypeVar("K", bound=Kinded)


class KindRegistry(Generic[K]):
    def __init__(self, what: str, package: str) -> None:
        self.what = what  # "action", "check": said in errors
        self.package = package  # whose modules register into this registry
        self._kinds: dict[str, type[K]] = {}

    def register(self, cls: type[K]) -> type[K]:
        if cls.kind in self._kinds:
            raise ValueError(f"{self.what} kind {cls.kind} registered twice")
        self._kinds[cls.kind] = cls
        return cls

    def all(self) -> dict[str, type[K]]:
        """Every kind, once each module of the package (but ``base``) is imported."""
        package = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(package.__path__):
            if module.name != "base":
                importlib.import_module(f"{self.package}.{module.name}")
        return dict(self._kinds)
