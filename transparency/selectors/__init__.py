"""Reads for the public pages. Everything returned is shown to strangers: only public facts."""
