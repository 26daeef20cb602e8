"""Fixtures without a fixtures file: found in the target's own rostering API (``discover``), or
written to a sandbox through it and removed at the end of the run (``provision``).

Inside: ``reader`` (bounded, paged reads of the rostering collections, and the one-line error of a
target that serves none), ``roles`` (what the suite needs of a target's records, and what a role
left unfilled leaves unchecked), ``discover`` (records picked for each role, with why), ``provision``
(a run-prefixed set of records written, then deleted).
"""
