"""Claiming placed NFTs with proof of presence (issue 4)."""
