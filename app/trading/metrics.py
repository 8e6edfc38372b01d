"""Prometheus metrics of trading."""

from prometheus_client import Counter

SALES = Counter(
    "cyberspace_trading_sales_total",
    "Sales settled: the indexer saw the listed token reach the buyer on chain",
)
LISTINGS_CLOSED = Counter(
    "cyberspace_trading_listings_closed_total",
    "Listings closed by outcome (sold, cancelled_seller, cancelled_moved)",
    ["outcome"],
)
OFFERS = Counter(
    "cyberspace_trading_offers_total",
    "Offer events by action (made, withdrawn, accepted)",
    ["action"],
)
