"""The secret behind export pseudonyms."""
