"""Contract tests: the schemas, the assembled OpenAPI documents, the seeds, the ``validate`` command."""
