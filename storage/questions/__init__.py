"""Routed questions, their threads, answers and what the router learned."""
