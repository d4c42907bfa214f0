"""The user profile schema: custom attributes by variable name and type, and the end user's
permission on an attribute (custom or base), in one schema or in every user type's."""

from __future__ import annotations

from app.engine.actions.base import ActionError
from app.engine.actions.schema import type_schemas
from app.engine.checks.base import Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.okta.models import PERMISSION_RANK, UserSchema, permission_words, self_permission


class AttributeExpectation(CheckParams):
    name: str
    type: str = "string"
    permission: str | None = None  # exact SELF permission expected
    at_least: str | None = None  # minimum SELF permission (READ_ONLY accepts READ_WRITE)
    base: bool = False


class AttributesParams(CheckParams):
    attributes: list[AttributeExpectation]
    schema_id: str = "default"
    # Where the document's requirement is on every user (Drata: each user's email), every user
    # type's schema: the default one applies to the default user type only.
    every_user_type: bool = False


@register
class SchemaAttributes(Check):
    kind = "schema_attributes"
    params_model = AttributesParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: AttributesParams = self.params(ctx)
        try:
            schemas = await type_schemas(ctx, None if p.every_user_type else p.schema_id)
        except ActionError as exc:
            return CheckOutcome.failed(exc.message, "Look at the user types in Directory > Profile Editor.")
        # The types are named only where the org has more than one, so a default-only org reads as before.
        named = len(schemas) > 1
        problems: list[str] = []
        seen: list[str] = []
        wrong: list[str] = []
        for where in schemas:
            found, missed = _compare(where.schema, p.attributes)
            seen += [f"{where.label}: {text}" if named else text for text in found]
            problems += [f"{where.label}: {text}" if named else text for text in missed]
            wrong += [where.label] if missed else []
        if problems:
            return CheckOutcome.failed("; ".join(problems) + ".",
                                       f"Fix the attributes in Directory > Profile Editor > {', '.join(wrong)}, or "
                                       "make the plan again and apply it: it reads them again.", attributes=seen,
                                       problem="The profile attributes the vendor reads are not as it needs: "
                                               + "; ".join(problems))
        return CheckOutcome.passed("Present: " + ", ".join(seen), attributes=seen)


def _compare(schema: UserSchema, wanted: list[AttributeExpectation]) -> tuple[list[str], list[str]]:
    """The attributes as found in one schema, and what is wrong with them."""
    problems: list[str] = []
    seen: list[str] = []
    for want in wanted:
        attr = schema.base_property(want.name) if want.base else schema.custom_property(want.name)
        if attr is None:
            problems.append(f"{want.name} is missing")
            continue
        permission = self_permission(attr)
        seen.append(f"{want.name} ({attr.get('type')}, user permission {permission_words(permission)})")
        if attr.get("type") != want.type:
            problems.append(f"{want.name} is {attr.get('type')}, not {want.type}")
        if want.permission and permission != want.permission:
            problems.append(f"{want.name}'s user permission is {permission_words(permission)}, not "
                            f"{permission_words(want.permission)}")
        if want.at_least and PERMISSION_RANK.get(permission or "HIDE", 0) < PERMISSION_RANK[want.at_least]:
            problems.append(f"{want.name}'s user permission is {permission_words(permission or 'HIDE')}; it "
                            f"must be at least {permission_words(want.at_least)}")
    return seen, problems
