"""Layer 3, what the platform holds: viewers, creators, posts, the social graph, impression
history, familiarity and the platform's estimates, as arrays.

May import: core, kernels, config.
"""
