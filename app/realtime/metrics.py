"""Prometheus metrics of the real-time server."""

from prometheus_client import Counter, Gauge, Histogram

SOCKET_CONNECTIONS = Gauge(
    "cyberspace_socketio_connections", "Socket.IO connections open on this process"
)
SOCKET_REFUSED = Counter(
    "cyberspace_socketio_refused_total", "Socket.IO connections refused", ["reason"]
)
EVENTS_EMITTED = Counter(
    "cyberspace_realtime_events_emitted_total",
    "Events sent to this process's sockets by type (one per emit, which may reach several)",
    ["type"],
)
ALERTS_SENT = Counter(
    "cyberspace_realtime_alerts_total", "Alerts sent to this process's sockets by type", ["type"]
)
STREAM_LAG = Gauge(
    "cyberspace_realtime_stream_lag",
    "Entries in the event stream not yet delivered to the consumer group",
)
STREAM_PENDING = Gauge(
    "cyberspace_realtime_stream_pending", "Entries read by a consumer but not acknowledged yet"
)
EVENT_AGE = Histogram(
    "cyberspace_realtime_event_age_seconds",
    "Time from XADD to emit, per stream event",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOCATION_BATCH_SIZE = Histogram(
    "cyberspace_realtime_location_batch_size",
    "Socket.IO location updates ingested per batch (one transaction)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
LOCAL_FIXES_DROPPED = Counter(
    "cyberspace_realtime_local_fixes_dropped_total",
    "Socket.IO location fixes whose proximity alerts could not be applied (Redis unreachable)",
)
LOCATION_BATCH_SECONDS = Histogram(
    "cyberspace_realtime_location_batch_seconds",
    "Wall time of one Socket.IO location batch: ingest transaction and commit",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
LOCAL_PROXIMITY_LAG = Histogram(
    "cyberspace_realtime_local_proximity_lag_seconds",
    "From a Socket.IO fix's acceptance (plausibility, before the batch's writes) to its"
    " proximity alerts handed to the sockets (per pass, the oldest fix of the pass)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
