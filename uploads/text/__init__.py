"""Text works: intake checks, extraction (EPUB), excerpt and card, metadata, MinHash."""
