"""Backbone and task models."""
