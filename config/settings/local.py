"""Embedded defaults for running on one machine: debug on, everything local."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
INTERNAL_IPS = ["127.0.0.1"]

# Payments go to the local Stripe-compatible server that bin/run starts (devtools/stripe_local),
# unless real test-mode keys are given (then leave STRIPE_API_BASE empty).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="sk_test_assent_local")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="pk_test_assent_local")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="whsec_assent_local_development")
STRIPE_API_BASE = env.str(
    "STRIPE_API_BASE",
    default="" if env.str("STRIPE_SECRET_KEY", default="") else "http://127.0.0.1:12111",
)
