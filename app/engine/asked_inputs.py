"""Inputs an onboarding asks for because of what the plan found in the org, not because the
playbook declares them: the profile attributes an admin made required in the user schema.

Okta refuses to create a user without a required attribute (400 E0000001, "<name>: The field
cannot be left blank"), so the plan turns each one that has no default into a typed input of the
step that creates the account; the operator's value is then sent in the new user's profile. The
plan keeps what it found in the onboarding's facts (``asked_inputs``, by step), so the form, the
save and the apply all see the same list without reading Okta again."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.common.validation import Fields
from app.okta.models import UserSchema
from app.playbooks.schema import InputSpec

FACT = "asked_inputs"
PREFIX = "profile_"
# The base attributes the wizard itself fills when it creates the service account.
SET_BY_WIZARD = frozenset({"login", "email", "firstName", "lastName", "userType"})
TYPES = ("string", "boolean", "integer", "number", "array")
_INTEGER = re.compile(r"-?\d{1,18}")
_NUMBER = re.compile(r"-?(\d{1,18}(\.\d{1,18})?|\.\d{1,18})")


class RequiredAttribute(BaseModel):
    """A required profile attribute of the user schema, as the plan found it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    title: str
    description: str = ""
    type: str = "string"
    enum: list[Any] = Field(default_factory=list)
    section: str = "custom"

    @property
    def key(self) -> str:
        return PREFIX + self.name

    def spec(self) -> InputSpec:
        """The input as the form shows and reads it: title as the label, description as the help."""
        help_text = self.description
        if self.type == "array" and self.enum:
            help_text = (help_text + " " if help_text else "") + "One per line, from: " + ", ".join(
                str(v) for v in self.enum) + "."
        elif self.type in ("integer", "number"):
            help_text = (help_text + " " if help_text else "") + (
                "A whole number." if self.type == "integer" else "A number.")
        if self.type == "boolean":
            return InputSpec(key=self.key, label=self.title, kind="boolean", help=help_text)
        if self.type == "array":
            return InputSpec(key=self.key, label=self.title, kind="lines", help=help_text, max_length=4000)
        if self.enum:
            return InputSpec(key=self.key, label=self.title, kind="choice", help=help_text,
                             choices=[(str(v), str(v)) for v in self.enum])
        return InputSpec(key=self.key, label=self.title, help=help_text, max_length=1024)

    def read(self, form: Fields, check_input: Any) -> Any:
        """The operator's value, typed as the schema types the attribute; a wrong one is a form
        error naming the attribute's title."""
        spec = self.spec()
        raw = check_input(form, spec)
        name = self.key
        if self.type == "integer" and raw != "":
            if not _INTEGER.fullmatch(str(raw)):
                form.errors[name] = f"{self.title} must be a whole number, like 42."
                return raw
            value: Any = int(str(raw))
        elif self.type == "number" and raw != "":
            if not _NUMBER.fullmatch(str(raw)):
                form.errors[name] = f"{self.title} must be a number, like 4.5."
                return raw
            value = float(str(raw))
            if not math.isfinite(value):
                form.errors[name] = f"{self.title} must be a number, like 4.5."
        elif self.type == "array":
            value = list(raw)
            if not value:
                form.errors[name] = f"Enter the {self.title.lower()} (one per line)."
            wrong = [v for v in value if self.enum and v not in [str(e) for e in self.enum]]
            if wrong:
                form.errors[name] = f"{self.title}: {', '.join(wrong)} is not one of " + ", ".join(
                    str(e) for e in self.enum) + "."
        else:
            value = raw
        return value

    def describe(self) -> str:
        kind = self.type + (f" one of {', '.join(str(v) for v in self.enum)}" if self.enum else "")
        return f"{self.name} ({kind})"


def required_attributes(schema: UserSchema) -> list[RequiredAttribute]:
    """The attributes a new user must carry that the wizard does not fill itself and that Okta
    would not fill with a default: custom ones, and base ones beyond login, email and the names."""
    found: list[RequiredAttribute] = []
    for section in ("custom", "base"):
        definition = schema.definitions.get(section) or {}
        listed = definition.get("required") if isinstance(definition, Mapping) else None
        names = [str(n) for n in listed] if isinstance(listed, list) else []
        for name, attribute in schema.properties(section).items():
            if isinstance(attribute, Mapping) and attribute.get("required") is True and name not in names:
                names.append(name)
        for name in names:
            attribute = schema.properties(section).get(name)
            if name in SET_BY_WIZARD or not isinstance(attribute, Mapping) or "default" in attribute:
                continue
            kind = str(attribute.get("type") or "string")
            enum = attribute.get("enum")
            if kind == "array":
                items = attribute.get("items")
                enum = items.get("enum") if isinstance(items, Mapping) else None
            found.append(RequiredAttribute(
                name=name, title=str(attribute.get("title") or name), section=section,
                description=str(attribute.get("description") or ""), type=kind if kind in TYPES else "string",
                enum=[v for v in enum if v is not None] if isinstance(enum, list) else []))
    return found


def asked(facts: Mapping[str, Any], step_key: str | None = None) -> list[RequiredAttribute]:
    """What the last plan asked for, for one step or for all."""
    by_step = facts.get(FACT) or {}
    if not isinstance(by_step, Mapping):
        return []
    steps: Sequence[Any] = [by_step.get(step_key) or []] if step_key is not None else list(by_step.values())
    return [RequiredAttribute.model_validate(entry) for entries in steps for entry in entries
            if isinstance(entry, Mapping)]


def missing(attributes: Sequence[RequiredAttribute], inputs: Mapping[str, Any]) -> list[RequiredAttribute]:
    return [a for a in attributes if inputs.get(a.key) in (None, "", [])]


def profile_values(facts: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The values to send in a new user's profile, by attribute name."""
    return {a.name: inputs[a.key] for a in asked(facts) if inputs.get(a.key) not in (None, "", [])}
