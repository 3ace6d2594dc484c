"""Staff insight: the weekly digest in the staff rooms, `!statistik` and its chart."""
