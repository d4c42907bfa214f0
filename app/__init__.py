"""Okta onboarding wizard."""
