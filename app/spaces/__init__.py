"""Spaces anchored to real places: members, invitations, assets (issue 6)."""
