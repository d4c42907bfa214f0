"""Administrator settings kept in ``app_settings``: the custom Okta domains the server may call
(besides ``*.okta.com`` and its siblings). Read by the connection service when an address is
checked, and by the engine when a stored connection is used again, so both read it here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import AppSetting

ALLOWED_DOMAINS_KEY = "okta:allowed_custom_domains"


async def allowed_custom_domains(session: AsyncSession) -> list[str]:
    row = await session.get(AppSetting, ALLOWED_DOMAINS_KEY)
    return [str(d) for d in (row.value if row else []) or []]
