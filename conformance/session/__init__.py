"""What the suite's tests and state machines act through: one process's session of a run (the
target, the client, the recorder, cleanup of what the run wrote) and the world of records it may
reference. Below the tests and the machines, above the checks."""
