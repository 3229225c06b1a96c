"""A license's life after the sale: models declared on it, expiry, destruction of models at
expiry where the terms say so, and the restriction of teams that are overdue.

- `status`: what state a declared model and a team are in (derived, never stored).
"""
