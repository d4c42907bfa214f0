"""The org itself: the unauthenticated well-known document (Identity Engine or Classic), org
settings, custom domains, user types and the user profile schema."""

from __future__ import annotations

from okta_sandbox.api.context import Call, Reply, handles
from okta_sandbox.domain import schema as schema_domain
from okta_sandbox.timestamps import iso
from okta_sandbox.visibility import visible


@handles("getWellknownOrgMetadata")
def well_known(call: Call) -> Reply:
    links = {"organization": {"href": call.org.base_url}}
    if call.org.custom_domain:
        links["alternate"] = {"href": f"https://{call.org.custom_domain}"}
    # The keys and types real Okta answers with (recorded: TestAccDataSourceOktaOrgMetadata_read).
    return Reply(200, {"id": call.org.org_id, "cell": "sandbox1", "pipeline": call.org.pipeline, "_links": links,
                       "settings": {"analyticsCollectionEnabled": False, "bugReportingEnabled": True,
                                    "omEnabled": False, "pssoEnabled": False, "desktopMFAEnabled": False,
                                    "itpEnabled": False}})


@handles("getOrgSettings")
def org_settings(call: Call) -> Reply:
    org = call.org
    return Reply(200, {
        "id": org.org_id,
        "companyName": org.company_name,
        "subdomain": org.subdomain,
        "status": "ACTIVE",
        "website": "https://www.example.com",
        "created": iso(org.created),
        "lastUpdated": iso(org.created),
        "_links": {
            "preferences": {"href": f"{org.base_url}/api/v1/org/preferences"},
            "uploadLogo": {"href": f"{org.base_url}/api/v1/org/logo", "hints": {"allow": ["POST"]}},
            "oktaCommunication": {"href": f"{org.base_url}/api/v1/org/privacy/oktaCommunication"},
            "oktaSupport": {"href": f"{org.base_url}/api/v1/org/privacy/oktaSupport"},
            "contacts": {"href": f"{org.base_url}/api/v1/org/contacts"},
        },
    })


@handles("listCustomDomains")
def list_domains(call: Call) -> Reply:
    # The sandbox org has no custom URL domain, so Okta's answer is an empty list.
    return Reply(200, {"domains": []})


@handles("listUserTypes")
def list_user_types(call: Call) -> Reply:
    return Reply(200, [schema_domain.render_user_type(call.org, user_type)
                       for user_type in call.org.user_types.listing()])


@handles("getUserSchema")
def get_schema(call: Call) -> Reply:
    schema = schema_domain.find_schema(call.org, call.params["schemaId"])
    rendered = schema_domain.render_schema(call.org, schema)
    custom = rendered["definitions"]["custom"]
    unseen = {name for name in custom["properties"] if not visible(call.org, "property", schema.id, name)}
    if unseen:  # attributes an invisible fault keeps out of reads for now
        custom["properties"] = {k: v for k, v in custom["properties"].items() if k not in unseen}
        required = [name for name in custom.get("required", []) if name not in unseen]
        if required:
            custom["required"] = required
        else:  # Okta leaves an empty list out
            custom.pop("required", None)
    return Reply(200, rendered)


@handles("updateUserProfile")
def update_schema(call: Call) -> Reply:
    schema = schema_domain.find_schema(call.org, call.params["schemaId"])
    schema_domain.update_schema(call.org, schema, call.json(), call.actor())
    return Reply(200, schema_domain.render_schema(call.org, schema))
