"""Listings, offers and sales settled by the chain indexer (issue 4)."""
