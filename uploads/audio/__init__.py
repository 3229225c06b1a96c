"""Audio works: intake checks, renditions, tags and Chromaprint fingerprints."""
