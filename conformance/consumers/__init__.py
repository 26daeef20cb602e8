"""What real clients of a OneRoster gradebook send and rely on, as flows the suite and the
``consumer-flow`` command both drive (``grade_sync``: Google Classroom's grade sync)."""
