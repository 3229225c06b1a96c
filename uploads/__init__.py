"""Intake of works: validation, private storage, renditions, metadata, fingerprints."""
