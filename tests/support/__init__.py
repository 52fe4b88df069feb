"""Helpers shared by the tests (imported as ``tests.support``), kept out of conftest files."""
