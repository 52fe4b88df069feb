"""Layer 4 (beside platform), how viewers behave: sessions, the funnel (the like probability lives
here), attention and social proof.

May import: core, kernels, config, state; never platform (viewers see posts, not the ranking).
"""
