"""Text tools shared by the question router and the similar-idea index (no chat platform)."""
