"""Typed calls grouped by Okta area. Each area is a thin layer over :class:`app.okta.http.OktaHttp`."""
