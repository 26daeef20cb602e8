"""oneroster-conformance: a conformance suite for the OneRoster 1.2 Gradebook API (TimeBack dialect)
and TimeBack's PowerPath external-test endpoints."""

__version__ = "0.1.0"
__all__ = ["__version__"]
