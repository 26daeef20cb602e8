"""Self-verification: the suite against the reference server, every fault and every benign variation."""
