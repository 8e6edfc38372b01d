"""Runtime configuration, read from environment variables (and an optional `.env`)."""

import logging
from functools import lru_cache
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.challenges.settings import ChallengeSettings
from app.claims.settings import ClaimsSettings
from app.geofences.settings import GeofenceSettings
from app.gql.settings import GraphqlSettings
from app.locations.settings import LocationSettings
from app.nfts.settings import NftSettings
from app.portals.settings import PortalSettings
from app.realtime.settings import RealtimeSettings
from app.spaces.settings import SpaceSettings
from app.trading.settings import TradingSettings
from app.web.settings import WebSettings
from app.webhooks.settings import WebhookSettings

# Development-only secrets. `_enforce_non_default_secrets` refuses them in production (the
# FastAPI full-stack template's rule): a leaked dev default must never sign real tokens.
DEV_JWT_KID = "dev-1"
DEV_JWT_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgXJK5g8/9+cGxQTQ2
fubuFuwfSA0HSG4Uu3vwtFMy2/WhRANCAATZQcc73mRgUbx4J4aHQ5cjXEJ8geYm
CCm0PMk9DtbX0RZl3RzlymuxlNkG20bMXASO7DIIdpI0HsPLM9c7JNkz
-----END PRIVATE KEY-----
"""
# The demo seed refuses to run in production, so its passwords are not checked here.
DEV_DEMO_PLAYER_PASSWORD = "player-one-demo"  # noqa: S105
DEV_DEMO_ORGANIZER_PASSWORD = "organizer-demo"  # noqa: S105


class Settings(
    NftSettings,
    ClaimsSettings,
    TradingSettings,
    GraphqlSettings,
    GeofenceSettings,
    LocationSettings,
    ChallengeSettings,
    WebhookSettings,
    SpaceSettings,
    PortalSettings,
    RealtimeSettings,
    WebSettings,
    BaseSettings,
):
    """Every knob the service reads. Names are the environment variable names, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace"
    redis_url: str = "redis://127.0.0.1:6379/0"
    db_pool_size: int = Field(default=10, ge=1, le=200)

    # Largest request body accepted (413 beyond). Batches of location updates and detailed
    # geofence polygons are the biggest legitimate bodies; 1 MiB covers them many times over.
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)

    log_level: str = "INFO"
    log_json: bool = True
    # Young-generation threshold of Python's garbage collector, set (with gc.freeze()) once
    # start-up is done: see app/core/heap.py. 0 leaves the collector alone.
    gc_gen0_threshold: int = Field(default=50_000, ge=0)

    # Nearby discovery limits: documented in README, enforced at the API edge.
    nearby_default_radius_m: float = Field(default=500.0, gt=0)
    nearby_max_radius_m: float = Field(default=50_000.0, gt=0)
    nearby_default_limit: int = Field(default=50, ge=1)
    nearby_max_limit: int = Field(default=200, ge=1)

    # The in-memory placement index also polls PostgreSQL this often, so a missed
    # Redis notification delays a change by at most this long instead of losing it.
    placement_index_poll_seconds: float = Field(default=5.0, gt=0)
    # How often each process re-sends real-time events parked while Redis was down.
    outbox_relay_seconds: float = Field(default=2.0, gt=0)
    # Redis channel prefix; tests use their own to keep runs apart.
    redis_channel_prefix: str = "cyberspace"

    @property
    def placement_channel(self) -> str:
        return f"{self.redis_channel_prefix}:placements:changed"

    # --- Identity and access (issue 3) ---------------------------------------------------
    # Access tokens are ES256 JWTs: asymmetric, so the public keys can be published as a
    # JWKS for other services (and issue 6's passes) without sharing a signing secret.
    # `jwt_keys` maps kid -> PEM key; `jwt_current_kid` signs, the others only verify (a
    # public PEM is enough for those). Rotate: add a new key, switch the kid, drop the old
    # one after `access_token_seconds`.
    jwt_issuer: str = "cyberspace"
    jwt_audience: str = "cyberspace-api"
    jwt_current_kid: str = DEV_JWT_KID
    jwt_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEV_JWT_KID: SecretStr(DEV_JWT_PRIVATE_KEY)}
    )
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    access_token_seconds: int = Field(default=600, ge=30, le=3600)
    app_token_seconds: int = Field(default=3600, ge=30, le=86400)
    refresh_token_days: int = Field(default=30, ge=1, le=365)

    # argon2id cost: OWASP's recommended m=19 MiB, t=2, p=1 (~30 ms a verify on the 2-core
    # target; argon2-cffi's RFC 9106 defaults took ~200-280 ms there, so a login burst within
    # the rate limits could saturate the CPU). Raising them later upgrades hashes at login.
    password_time_cost: int = Field(default=2, ge=1)
    password_memory_kib: int = Field(default=19456, ge=1024)
    password_parallelism: int = Field(default=1, ge=1)

    # Abuse limits on the auth endpoints (fixed windows in Redis).
    auth_ip_limit: int = Field(default=30, ge=1, description="auth requests per IP per window")
    auth_ip_window_seconds: int = Field(default=60, ge=1)
    # Cross-IP attempts on one account from IPs it has never logged in from.
    auth_account_limit: int = Field(default=20, ge=1)
    auth_account_window_seconds: int = Field(default=900, ge=1)
    # Failures on one account from one IP before that pair is locked out; the lock doubles
    # with each repeat up to the cap, and never touches other IPs.
    login_failures_before_lockout: int = Field(default=5, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    lockout_base_seconds: int = Field(default=30, ge=1)
    lockout_max_seconds: int = Field(default=900, ge=1)
    known_ip_days: int = Field(default=30, ge=1)

    # Sign-In With Ethereum: the domain and chain a message must name.
    siwe_domain: str = "127.0.0.1:8000"
    siwe_uri: str = "http://127.0.0.1:8000"
    siwe_chain_id: int = Field(default=1, ge=1)
    siwe_nonce_seconds: int = Field(default=300, ge=10, le=3600)

    # Demo accounts created by scripts/seed_demo.py.
    demo_player_password: SecretStr = SecretStr(DEV_DEMO_PLAYER_PASSWORD)
    demo_organizer_password: SecretStr = SecretStr(DEV_DEMO_ORGANIZER_PASSWORD)

    @property
    def auth_key_prefix(self) -> str:
        return f"{self.redis_channel_prefix}:auth"

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Self:
        defaults = {
            "JWT_KEYS": any(
                v.get_secret_value() == DEV_JWT_PRIVATE_KEY for v in self.jwt_keys.values()
            ),
        }
        in_use = sorted(name for name, is_default in defaults.items() if is_default)
        if self.jwt_current_kid not in self.jwt_keys:
            raise ValueError(f"JWT_CURRENT_KID {self.jwt_current_kid!r} is not in JWT_KEYS")
        if in_use and self.environment == "production":
            raise ValueError(f"Set these to non-default values in production: {', '.join(in_use)}")
        if in_use and self.environment == "development":
            logging.getLogger("cyberspace.settings").warning(
                "development defaults in use for %s", ", ".join(in_use)
            )
        return self

    # Chain (issue 4): app.chain reads these. An empty WEB3_RPC_URL runs an embedded eth-tester
    # (py-evm) chain in the process, where the contracts are deployed at start; otherwise a
    # JSON-RPC node (Polygon, Ethereum): CHAIN_ID must be that network's id (checked on
    # connect) and NFT721_ADDRESS / NFT1155_ADDRESS name the deployed contracts.
    web3_rpc_url: str = Field(default="", repr=False)  # hosted node URLs often embed an API key
    chain_id: int = Field(default=131_277_322_940_537, ge=1)  # eth-tester's fixed chain id
    # The service wallet that mints and transfers. The default is eth-tester's first funded
    # account (private key 0x...01, public knowledge), so it is refused in production.
    chain_service_private_key: SecretStr = SecretStr("0x" + "0" * 63 + "1")
    nft721_address: str = ""
    nft1155_address: str = ""
    # Blocks a transfer must be buried under before the indexer trusts it. 0 suits the
    # embedded chain, which mines a block only when it gets a transaction.
    chain_confirmations: int = Field(default=0, ge=0, le=1000)

    @model_validator(mode="after")
    def _enforce_chain_service_key(self) -> Self:
        placeholder = type(self).model_fields["chain_service_private_key"].default
        key = self.chain_service_private_key.get_secret_value()
        if self.environment == "production" and key == placeholder.get_secret_value():
            raise ValueError(
                "Set CHAIN_SERVICE_PRIVATE_KEY to the service wallet's key in production"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
