"""The filter language of Okta's ``filter`` and ``search`` parameters (SCIM 2.0 filters).

``profile.login eq "a@b.example" and (status eq "ACTIVE" or status eq "STAGED")`` parses into a
small tree; each endpoint then says which attributes and operators it supports (Okta's ``filter``
is much narrower than ``search``) and how to read an attribute from an object. Anything the parser
cannot read is Okta's 400 E0000031 "Invalid search criteria", never a crash."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from okta_sandbox.errors import invalid_search
from okta_sandbox.timestamps import parse_iso

Scalar = str | int | float | bool | None
_Comparable = TypeVar("_Comparable", float, str)

COMPARISONS = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}
_TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<paren>[()])|(?P<word>[^\s()"]+))')


@dataclass(frozen=True, slots=True)
class Comparison:
    attribute: str
    operator: str  # one of COMPARISONS, or "pr"
    value: Scalar = None


@dataclass(frozen=True, slots=True)
class Logical:
    operator: str  # "and" / "or"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


Node = Comparison | Logical | Not


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid_search(f"Unexpected character at position {position}: {text[position:position + 10]!r}")
        kind = match.lastgroup or "word"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise invalid_search("The expression ends too early.")
        self.position += 1
        return token

    def _keyword(self, *words: str) -> str | None:
        token = self._peek()
        if token is not None and token[0] == "word" and token[1].lower() in words:
            self.position += 1
            return token[1].lower()
        return None

    def parse(self) -> Node:
        if not self.tokens:
            raise invalid_search("The expression is empty.")
        node = self._or()
        if self._peek() is not None:
            raise invalid_search(f"Unexpected {self._peek()[1]!r}.")  # type: ignore[index]
        return node

    def _or(self) -> Node:
        node = self._and()
        while self._keyword("or"):
            node = Logical("or", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._unary()
        while self._keyword("and"):
            node = Logical("and", node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._keyword("not"):
            return Not(self._group())
        token = self._peek()
        if token is not None and token == ("paren", "("):
            return self._group()
        return self._comparison()

    def _group(self) -> Node:
        if self._next() != ("paren", "("):
            raise invalid_search("Expected '('.")
        node = self._or()
        if self._next() != ("paren", ")"):
            raise invalid_search("Expected ')'.")
        return node

    def _comparison(self) -> Node:
        kind, attribute = self._next()
        if kind != "word" or not re.fullmatch(r"[A-Za-z_$][\w$.:-]*", attribute):
            raise invalid_search(f"Expected an attribute name, not {attribute!r}.")
        kind, operator = self._next()
        operator = operator.lower()
        if kind != "word" or operator not in COMPARISONS | {"pr"}:
            raise invalid_search(f"Unknown operator {operator!r}.")
        if operator == "pr":
            return Comparison(attribute, "pr")
        return Comparison(attribute, operator, self._value())

    def _value(self) -> Scalar:
        kind, raw = self._next()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", raw[1:-1])
        if kind != "word":
            raise invalid_search("Expected a value.")
        lowered = raw.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        try:
            return int(raw)
        except ValueError:
            try:
                return float(raw)
            except ValueError:
                raise invalid_search(f"Values must be quoted: {raw!r}.") from None


def parse(text: str) -> Node:
    return _Parser(text).parse()


def comparisons(node: Node) -> Iterable[Comparison]:
    if isinstance(node, Comparison):
        yield node
    elif isinstance(node, Logical):
        yield from comparisons(node.left)
        yield from comparisons(node.right)
    else:
        yield from comparisons(node.operand)


def has_not(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, Logical):
        return has_not(node.left) or has_not(node.right)
    return False


def restrict(node: Node, allowed: Callable[[Comparison], bool], *, allow_not: bool = True) -> Node:
    """Refuse what an endpoint does not support (Okta answers E0000031)."""
    if not allow_not and has_not(node):
        raise invalid_search("The 'not' operator isn't supported here.")
    for comparison in comparisons(node):
        if not allowed(comparison):
            raise invalid_search(f"Unsupported filter: {comparison.attribute} {comparison.operator}.")
    return node


def _ordered(sign: int, operator: str) -> bool:
    """Apply an operator to the sign of a three-way comparison (-1, 0, 1)."""
    return {"eq": sign == 0, "ne": sign != 0, "gt": sign > 0, "ge": sign >= 0, "lt": sign < 0,
            "le": sign <= 0}.get(operator, False)


def _sign(left: _Comparable, right: _Comparable) -> int:
    return (left > right) - (left < right)


def _compare(actual: object, operator: str, expected: Scalar, case_sensitive: bool) -> bool:
    if operator == "pr":
        return actual is not None and actual != "" and actual != []
    if expected is None:
        return (actual is None) == (operator == "eq") if operator in ("eq", "ne") else False
    if actual is None:
        return operator == "ne"
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = str(actual).lower() == str(expected).lower()
        return same if operator == "eq" else (not same if operator == "ne" else False)
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return _ordered(_sign(float(actual), float(expected)), operator)
    text, part = str(actual), str(expected)
    if not case_sensitive:
        text, part = text.lower(), part.lower()
    if operator == "co":
        return part in text
    if operator == "sw":
        return text.startswith(part)
    if operator == "ew":
        return text.endswith(part)
    if operator in ("gt", "ge", "lt", "le"):
        # Timestamps compare as moments whatever their precision or offset.
        left_time, right_time = parse_iso(str(actual)), parse_iso(str(expected))
        if left_time is not None and right_time is not None:
            return _ordered(_sign(left_time, right_time), operator)
    return _ordered(_sign(text, part), operator)


def evaluate(node: Node, lookup: Callable[[str], list[object]], *, case_sensitive: bool = False) -> bool:
    """True when the object matches. ``lookup`` returns every value an attribute has on the object
    (several for arrays, such as System Log targets); a comparison holds if any value matches."""
    if isinstance(node, Logical):
        if node.operator == "and":
            return evaluate(node.left, lookup, case_sensitive=case_sensitive) and evaluate(
                node.right, lookup, case_sensitive=case_sensitive)
        return evaluate(node.left, lookup, case_sensitive=case_sensitive) or evaluate(
            node.right, lookup, case_sensitive=case_sensitive)
    if isinstance(node, Not):
        return not evaluate(node.operand, lookup, case_sensitive=case_sensitive)
    values = lookup(node.attribute) or [None]
    return any(_compare(value, node.operator, node.value, case_sensitive) for value in values)


def json_lookup(document: object) -> Callable[[str], list[object]]:
    """Read dotted attribute paths from a JSON document, fanning out over arrays."""

    def lookup(path: str) -> list[object]:
        current: list[object] = [document]
        for part in path.split("."):
            following: list[object] = []
            for item in current:
                if isinstance(item, list):
                    following.extend(element.get(part) for element in item if isinstance(element, dict))
                elif isinstance(item, dict):
                    following.append(item.get(part))
            current = following
        flattened: list[object] = []
        for item in current:
            if isinstance(item, list):
                flattened.extend(item)
            else:
                flattened.append(item)
        return flattened

    return lookup
