"""Prometheus metrics of the geofence engine."""

from prometheus_client import Counter, Gauge

GEOFENCE_CHECKS = Counter(
    "cyberspace_geofence_checks_total",
    "Points checked against the geofence engine, by call",
    ["call"],
)
ENGINE_FENCES = Gauge("cyberspace_geofence_engine_fences", "Fences in this process's engine")
ENGINE_CELLS = Gauge(
    "cyberspace_geofence_engine_cells", "H3 cover cells in this process's geofence engine"
)
ENGINE_LOAD_SECONDS = Gauge(
    "cyberspace_geofence_engine_load_seconds", "Duration of the last full geofence engine load"
)
