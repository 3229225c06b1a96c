"""Dataset packages: what a paid order delivers, built by a worker (builder.py) from marked
copies of the originals (marking.py) into WebDataset shards (shards.py), with a Parquet index,
Croissant metadata, a manifest and a license summary beside them (documents.py)."""
