"""A small, stateful, Stripe-compatible server for development and tests.

It speaks Stripe's wire protocol (form-encoded bracketed parameters, bearer secret keys, JSON
objects with Stripe's id prefixes, Stripe's error shapes, list pagination, `expand[]`,
`Idempotency-Key`) for the parts Assent uses: Checkout Sessions with a hosted test payment
page, PaymentIntents, Charges, Refunds, Disputes, Connect Express accounts with a hosted test
onboarding page, their capabilities, external accounts and Express dashboard login links,
Transfers and reversals, balances and balance transactions, Events and signed webhooks, plus a
control endpoint for fault injection. Every answer is checked against Stripe's published
OpenAPI description (tests/devtools/test_openapi_conformance.py). The official `stripe`
library is its only client. It binds to 127.0.0.1 only. Run it with
`python -m devtools.stripe_local --port 12111`."""
