"""Layer 2, the scenario: the validated schema split by section, reading files, and the reference.

May import: core.
"""
