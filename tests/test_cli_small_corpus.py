"""``feedback-nlp mine`` on a small corpus says its themes cannot be trusted (job result + CLI)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feedback_nlp.cli import app
from feedback_nlp.jobs.trust import small_corpus_warning

DEMO = Path(__file__).resolve().parent.parent / "corpora" / "demo" / "feedback.csv"
runner = CliRunner()


@pytest.mark.slow
def test_cli_mine_warns_on_a_small_corpus(tmp_path: Path) -> None:
    with DEMO.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:30]
    small = tmp_path / "small.csv"
    with small.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "source", "created_at", "nps"])
        writer.writeheader()
        writer.writerows({key: row[key] for key in writer.fieldnames} for row in rows)
    env = {
        "FEEDBACK_NLP_DATABASE__URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "FEEDBACK_NLP_MODELS__EMBEDDER": "minilm-l6-en",
        "COLUMNS": "200",
    }
    ingested = runner.invoke(app, ["ingest", str(small), "--workspace", "small"], env=env)
    assert ingested.exit_code == 0, ingested.output
    mined = runner.invoke(
        app, ["mine", "--workspace", "small", "--n-resamples", "0", "--json"], env=env
    )
    assert mined.exit_code == 0, mined.output
    job = json.loads(mined.stdout.strip().splitlines()[-1])
    warning = small_corpus_warning(30)
    assert warning is not None
    assert job["result"]["warning"] == warning
    shown = " ".join(mined.stdout.split())
    assert "Warning: Only 30 feedback items were mined" in shown
    assert "cannot be trusted" in shown
