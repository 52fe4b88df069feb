"""Layer 10, figures and reports of results folders (reading results only), and the terminal
summary.

May import: everything below (core to experiments).
"""
