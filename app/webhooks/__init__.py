"""Organizer webhooks: signed, retried, SSRF-guarded delivery (issue 5)."""
