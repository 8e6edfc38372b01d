"""Cross-cutting plumbing: errors, logging, metrics, database and Redis access."""
