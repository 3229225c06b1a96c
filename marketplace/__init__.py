"""Catalog, datasets and quotes, orders, Stripe Checkout, delivery of licensed data."""
