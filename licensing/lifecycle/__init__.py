"""A license's life after the sale: models declared on it, expiry, destruction of models at
expiry where the terms say so, and the restriction of teams that are overdue.

- `status`: what state a declared model and a team are in (derived, never stored).
- `declarations`: a team declares a model on its license items, checked against their terms.
- `notices`: creators are told, one notice each, which models trained on their works.
- `expiry`: reminders before items expire, and expiry itself.
- `destruction`: attestations that models were destroyed; overdue teams; forfeits.
"""
