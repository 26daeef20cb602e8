"""Real clients' flows against the embedded reference server, sent as those clients send them and
written from their published code alone: Google Classroom's OneRoster 1.2 SIS conformance notebook."""
