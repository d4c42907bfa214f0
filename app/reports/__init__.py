"""Audit records of an onboarding: the report (page and PDF) and streaming event exports."""
