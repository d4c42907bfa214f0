"""Persistence: models, repositories, engines and migrations."""
