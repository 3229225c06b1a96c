"""The uploads API: works and upload batches."""
