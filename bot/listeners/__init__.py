"""Bolt listeners, one package per interaction kind, each with ``register(app, deps)``."""
