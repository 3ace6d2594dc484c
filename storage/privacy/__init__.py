"""Erasure requests, retention bookkeeping and the collection of a person's data."""
