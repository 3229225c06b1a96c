"""Collectives: creators who pool works and set terms together (floors, a data strike), by vote."""
