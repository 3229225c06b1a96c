"""The public verification API."""
