"""Operators: passwords, sign-in with throttling, sessions, first-run setup, roles."""
