"""Network zones (``/api/v1/zones/{zoneId}``), read only: the org's two system IP zones, which a
zone-limited API token names by id. Rendered as Okta's spec shows an IP zone (``RetrieveNetworkZoneIP``)."""

from __future__ import annotations

from okta_sandbox.api.context import Call, Reply, handles
from okta_sandbox.errors import not_found
from okta_sandbox.timestamps import iso


@handles("getNetworkZone")
def get_zone(call: Call) -> Reply:
    zone_id = call.params["zoneId"]
    zone = call.org.network_zones.get(zone_id)
    if zone is None:
        raise not_found(f"{zone_id} (NetworkZone)")
    href = f"{call.org.base_url}/api/v1/zones/{zone.id}"
    return Reply(200, {
        "type": "IP", "id": zone.id, "name": zone.name, "status": "ACTIVE",
        "usage": "BLOCKLIST" if zone.name == "BlockedIpZone" else "POLICY",
        "created": iso(call.org.created), "lastUpdated": iso(call.org.created), "system": True,
        "gateways": [], "proxies": None,
        "_links": {"self": {"href": href, "hints": {"allow": ["GET", "PUT"]}},
                   "deactivate": {"href": f"{href}/lifecycle/deactivate", "hints": {"allow": ["POST"]}}}})
