"""Named, runnable studies: ``python -m scenarios.run NAME``."""
