"""The playbook engine: preflight, plan, apply, verify, undo. It knows no vendor by name."""
