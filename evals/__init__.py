"""Batch evaluation: data sets, scoring, runner, reports and baselines."""
