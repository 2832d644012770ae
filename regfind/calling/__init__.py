"""Calling genes: the API, files out, resume, shards, Dask, variants, links."""
