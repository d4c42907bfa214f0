"""Onboardings: starting one, its inputs, tokens, attestations and kept secrets."""
