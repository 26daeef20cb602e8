"""Hypothesis state machines: a model of what the server must hold, compared with what it holds.

Each machine drives the target through the suite's session (one client, one world of records) and
records every exchange of the current run, so that a failure — after Hypothesis has shrunk the run —
prints the remaining steps as replayable curl commands.
"""
