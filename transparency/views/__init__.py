"""Public pages, no sign-in: each license's transparency page and the verification page."""
