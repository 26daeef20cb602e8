"""The conformance suite: pytest modules shipped inside the package.

Run it with ``oneroster-conformance run`` or ``pytest --pyargs conformance.suite`` (same options).
"""
