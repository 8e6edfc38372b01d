"""Prometheus metrics of claims."""

from prometheus_client import Counter

CLAIMS = Counter(
    "cyberspace_claims_total",
    "NFT claim attempts by outcome (claimed, too_far, inaccurate, teleport, own_placement, "
    "already_claimed, not_placed, not_visible, lost_race, chain_failed)",
    ["outcome"],
)
