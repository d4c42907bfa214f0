"""Every table of the application. Import from here so Alembic and the repositories see them all."""

from app.store.models.audit import AuditChainHead, AuditEvent
from app.store.models.connections import OktaConnection
from app.store.models.onboardings import (
    AppSetting,
    Attestation,
    CheckResult,
    Handoff,
    Job,
    Onboarding,
    OnboardingAction,
    OnboardingPlan,
    OnboardingSecret,
    VerificationRun,
)
from app.store.models.operators import Operator, OperatorRole
from app.store.models.secrets import SealedSecret
from app.store.models.sessions import SignInThrottle, WebSession
from app.store.models.setup import SetupToken
from app.store.models.watch import Alert, NotificationChannel, NotificationDelivery

__all__ = [
    "Alert",
    "AppSetting",
    "Attestation",
    "AuditChainHead",
    "AuditEvent",
    "CheckResult",
    "Handoff",
    "Job",
    "NotificationChannel",
    "NotificationDelivery",
    "OktaConnection",
    "Onboarding",
    "OnboardingAction",
    "OnboardingPlan",
    "OnboardingSecret",
    "Operator",
    "OperatorRole",
    "SealedSecret",
    "SetupToken",
    "SignInThrottle",
    "VerificationRun",
    "WebSession",
]
