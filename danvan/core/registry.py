"""A named registry of pluggable parts (papermill's ``PapermillEngines`` pattern): danvan registers
its own, third parties register theirs or publish them under an entry point group."""

from __future__ import annotations

from importlib import metadata
from typing import Generic, TypeVar

from .errors import DanvanError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """``register(name, item)``, ``get(name)``, ``names()``. An unknown name is looked up once in the
    entry point group (the entry point names a class, instantiated without arguments), then raises
    ``error`` with the known names."""

    def __init__(self, what: str, entry_point_group: str, error: type[DanvanError]):
        self.what = what
        self.entry_point_group = entry_point_group
        self.error = error
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> None:
        self._items[name] = item

    def names(self) -> tuple[str, ...]:
        return tuple(self._items)

    def get(self, name: str) -> T:
        if name not in self._items:
            for ep in metadata.entry_points(group=self.entry_point_group, name=name):
                self.register(name, ep.load()())
        if name not in self._items:
            raise self.error(f"unknown {self.what} {name!r}; known: {', '.join(sorted(self._items))}")
        return self._items[name]
