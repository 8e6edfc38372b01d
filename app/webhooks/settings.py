"""Settings of webhooks; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class WebhookSettings(BaseSettings):
    # Deliveries to private, loopback, link-local, multicast or reserved addresses are refused
    # (SSRF) unless this is set; tests with a local receiver set it.
    webhook_allow_private_targets: bool = False
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    # Retry n waits base * 2**(n-1) seconds (capped), +-20% jitter.
    webhook_backoff_base_s: float = Field(default=5.0, ge=0)
    webhook_backoff_max_s: float = Field(default=3600.0, gt=0)
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    webhook_batch_size: int = Field(default=50, ge=1, le=1000)
    # Receivers reject signatures older than this; documented for them, used in tests.
    webhook_signature_tolerance_s: int = Field(default=300, ge=1)
