"""Layer 8, files: atomic writes, the tidy tables and manifest of a run, and reading a results
folder back.

May import: everything below (core to measures).
"""
