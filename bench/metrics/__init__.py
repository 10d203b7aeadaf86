"""Metric adapters. Each accumulates over files (call once per file) like pyannote.metrics."""
from __future__ import annotations

import pandas as pd


def per_file_report(rows: dict[str, dict[str, float]], total: dict[str, float]) -> pd.DataFrame:
    """One row per file and a TOTAL row, pyannote.metrics' report() layout."""
    df = pd.DataFrame.from_dict({**rows, "TOTAL": total}, orient="index")
    df.index.name = "uri"
    return df
