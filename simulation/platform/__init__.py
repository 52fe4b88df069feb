"""Layer 4 (beside viewers), what the platform decides: retrieval, ranking policies, predicted
engagement and the distribution tiers (the promotion rule lives here).

May import: core, kernels, config, state; never viewers (the platform sees only recorded
reactions).
"""
