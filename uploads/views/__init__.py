"""Pages for a creator's works and upload batches."""
