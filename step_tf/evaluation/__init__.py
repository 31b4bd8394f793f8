"""Evaluation: classification metrics and their figures."""
