"""Route-by-route checks share one app per module (tests/fuzz/conftest.py's `fuzz_target`):
building an app for each of ~200 parametrized cases would cost more than the checks."""

from tests.fuzz.conftest import fuzz_target

__all__ = ["fuzz_target"]
