"""Layer 0, the vocabulary: events, candidate sources, the records passed between layers, random
streams and small statistics.

May import: numpy and scipy only (nothing else of this package).
"""
