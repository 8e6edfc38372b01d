"""The organizer console and player map pages (issue 7)."""
