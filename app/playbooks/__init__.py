"""Vendors are data: one YAML playbook per vendor document, validated at start-up."""
