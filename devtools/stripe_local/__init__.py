"""A small, stateful, Stripe-compatible server for development and tests.

It speaks Stripe's wire protocol (form-encoded bracketed parameters, bearer secret keys, JSON
objects with Stripe's id prefixes, Stripe's error shapes, list pagination, `expand[]`,
`Idempotency-Key`) for the parts Assent uses: Checkout Sessions with a hosted test payment
page, PaymentIntents, Charges, Refunds, Disputes, Connect Express accounts with a hosted test
onboarding page, Transfers and reversals, balances, Events and signed webhooks, plus a control
endpoint for fault injection. The official `stripe` library is its only client. It binds to
127.0.0.1 only. Run it with `python -m devtools.stripe_local --port 12111`."""
