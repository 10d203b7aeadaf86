"""The report's findings: ranking in distribution, retention with length, speedup, from a table."""
from __future__ import annotations

import pandas as pd

from bench.findings import write_findings


def _table(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"task": t, "task_type": t, "method": m, "duration": d, "acc@50ms": a, "hit@50ms": min(1, 2 * a)}
                         for t, m, d, a in rows])


def test_findings_state_ranking_retention_and_speedup() -> None:
    table = _table([("word_all", "frame-ihp", 10, 0.8), ("word_all", "token-hf", 10, 0.4), ("word_all", "uniform", 10, 0.1),
                    ("word_all", "frame-ihp", 60, 0.6), ("word_all", "token-hf", 60, 0.0),
                    ("word_all", "frame-ihp", 300, 0.4), ("word_all", "token-hf", 300, 0.0)])
    pooled = _table([("word_all", "frame-ihp", 15, 0.8), ("word_all", "token-hf", 15, 0.4),
                     ("word_all", "uniform", 15, 0.1), ("word_all", "oracle", 15, 1.0)])
    ups = pd.DataFrame([{"task": "word_all", "duration": d, "method": "frame-ihp", "baseline": "token-hf", "speedup": s}
                        for d, s in ((10, 30.0), (60, 60.0), (300, 12.0))])
    text = "\n".join(write_findings(table, pooled, ups, 15, "token-hf"))
    assert "| word_all | acc@50ms | frame-ihp 0.80, token-hf 0.40, uniform 0.10 |" in text  # oracle left out
    assert "first among frame-ihp, token-hf on 1 of 1 tasks (word_all)" in text
    assert "| word_all | acc@50ms | frame-ihp | 0.80 | 0.60 (75%) | 0.40 (50%) |" in text
    assert "frame-ihp keeps 75% at 60 s, 50% at 300 s of its in-distribution all-words accuracy" in text
    assert "token-hf keeps 0% at 60 s, 0% at 300 s" in text
    assert "| word_all | hit@50ms | frame-ihp | 1.00 | 1.00 (100%) | 0.80 (80%) |" in text
    assert "frame-ihp keeps 100% at 60 s, 80% at 300 s of its in-distribution all-words hit rate" in text
    assert "frame-ihp is 12x-60x faster than token-hf; above 50x at 60 s." in text
