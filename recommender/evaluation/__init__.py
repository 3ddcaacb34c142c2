"""Offline evaluation of the recommenders on temporal splits of real data, against baselines in the same run."""
