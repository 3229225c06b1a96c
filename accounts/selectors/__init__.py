"""Reads for people and teams."""
