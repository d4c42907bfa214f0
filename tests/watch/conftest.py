"""The watch's tests drive the wizard like the onboarding page tests (the same fixture)."""

from tests.onboardings.conftest import j

__all__ = ["j"]
