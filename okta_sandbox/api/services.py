"""API service integrations (``/integrations/api/v1/api-services``). The client secret appears in
the install response only; later reads never carry it, and listed secrets are masked."""

from __future__ import annotations

from okta_sandbox.api.context import Call, Reply, handles
from okta_sandbox.domain import api_services as services_domain
from okta_sandbox.domain import apps as apps_domain
from okta_sandbox.entities import ApiServiceIntegration
from okta_sandbox.errors import not_found
from okta_sandbox.paging import paginate


def _service(call: Call, *, consistent: bool = False) -> ApiServiceIntegration:
    service_id = call.params["apiServiceId"]
    service = call.org.api_services.get(service_id) if consistent else call.org.api_services.read(service_id)
    if service is None:
        raise not_found(f"{service_id} (ApiServiceIntegrationInstance)")
    return service


@handles("listApiServiceIntegrationInstances")
def list_services(call: Call) -> Reply:
    page, cursor = paginate(call.org.api_services.listing(), after=call.text("after"), limit=call.limit(maximum=200),
                            key=lambda service: service.seq)
    return call.page([services_domain.render(call.org, service) for service in page], cursor)


@handles("createApiServiceIntegrationInstance")
def install(call: Call) -> Reply:
    service, secret = services_domain.install(call.org, call.json(), call.actor())
    return Reply(201, services_domain.render(call.org, service, client_secret=secret.value))


@handles("getApiServiceIntegrationInstance")
def get_service(call: Call) -> Reply:
    return Reply(200, services_domain.render(call.org, _service(call)))


@handles("deleteApiServiceIntegrationInstance")
def uninstall(call: Call) -> Reply:
    services_domain.uninstall(call.org, _service(call, consistent=True), call.actor())
    return Reply(204)


@handles("listApiServiceIntegrationInstanceSecrets")
def list_secrets(call: Call) -> Reply:
    service = _service(call)
    href = services_domain.href(call.org, service)
    return Reply(200, [apps_domain.render_secret(secret, href, masked=True) for secret in service.secrets])


@handles("createApiServiceIntegrationInstanceSecret")
def create_secret(call: Call) -> Reply:
    service = _service(call, consistent=True)
    secret = services_domain.add_secret(call.org, service, call.actor())
    return Reply(201, apps_domain.render_secret(secret, services_domain.href(call.org, service), masked=False))


def _secret_reply(call: Call, service: ApiServiceIntegration, status: str) -> Reply:
    secret = services_domain.find_secret(service, call.params["secretId"])
    services_domain.set_secret_status(call.org, service, secret, status, call.actor())
    return Reply(200, apps_domain.render_secret(secret, services_domain.href(call.org, service), masked=True))


@handles("activateApiServiceIntegrationInstanceSecret")
def activate_secret(call: Call) -> Reply:
    return _secret_reply(call, _service(call, consistent=True), "ACTIVE")


@handles("deactivateApiServiceIntegrationInstanceSecret")
def deactivate_secret(call: Call) -> Reply:
    return _secret_reply(call, _service(call, consistent=True), "INACTIVE")


@handles("deleteApiServiceIntegrationInstanceSecret")
def delete_secret(call: Call) -> Reply:
    service = _service(call, consistent=True)
    secret = services_domain.find_secret(service, call.params["secretId"])
    services_domain.delete_secret(call.org, service, secret, call.actor())
    return Reply(204)
