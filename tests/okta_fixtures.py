"""Pytest fixtures for the sandbox Okta and the Okta client (registered from conftest.py)."""
