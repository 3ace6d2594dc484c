"""Chat platforms: `base` says what the civic core needs, one package per platform implements it."""
