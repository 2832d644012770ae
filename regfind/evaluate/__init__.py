"""Judging regions: comparison, CRISPRi and synthetic benchmarks, faithfulness."""
