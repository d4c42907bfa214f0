"""Okta connections: an org and a credential, checked by a preflight before they are kept."""
