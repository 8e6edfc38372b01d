"""NovaProtocol portals and signed passes (issue 6)."""
