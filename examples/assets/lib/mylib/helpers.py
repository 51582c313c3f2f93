def scale(value, lo, hi):
    """Maps value from [lo, hi] to [0, 1]."""
    return (value - lo) / (hi - lo)
