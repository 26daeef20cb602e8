"""Running the suite: the ``run`` command behind the CLI."""
