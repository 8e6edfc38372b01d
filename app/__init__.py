"""CyberSpace web service."""
