"""The user profile schema: custom attributes by variable name and type, and the end user's
permission on an attribute (custom or base)."""

from __future__ import annotations

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


@register
class SchemaAttributes(Check):
    kind = "schema_attributes"
    params_model = AttributesParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: AttributesParams = self.params(ctx)
        schema: UserSchema = await ctx.cached(f"schema:{p.schema_id}",
                                              lambda: ctx.okta.schemas.user_schema(p.schema_id))
        problems: list[str] = []
        seen: list[str] = []
        for want in p.attributes:
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
        if problems:
            return CheckOutcome.failed("; ".join(problems) + ".",
                                       "Fix the attributes in Directory > Profile Editor > User (default), or apply "
                                       "the plan again.", attributes=seen)
        return CheckOutcome.passed("Present: " + ", ".join(seen), attributes=seen)
