from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feedback_nlp.cli import app

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo" / "feedback.csv"

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "FEEDBACK_NLP_DATABASE__URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "FEEDBACK_NLP_MODELS__EMBEDDER": "minilm-l6-en",
        "COLUMNS": "200",
    }


def _last_json(stdout: str) -> dict[str, object]:
    return json.loads(stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.slow
def test_cli_ingest_demo_twice_then_mine_a_segment(tmp_path: Path) -> None:
    env = _env(tmp_path)
    rejects = tmp_path / "demo.rejects.jsonl"
    command = [
        "ingest", str(DEMO), "--workspace", "demo", "--segment-cols", "plan,region,channel",
        "--rejects", str(rejects), "--json",
    ]  # fmt: skip
    first = runner.invoke(app, command, env=env)
    assert first.exit_code == 0, first.output
    summary = _last_json(first.stdout)
    assert summary["rows_read"] == 1500
    assert (summary["created"], summary["updated"], summary["rejected"]) == (1500, 0, 0)
    assert summary["ignored_columns"] == ["lang"]
    assert "rows read" in first.stdout
    assert rejects.read_text("utf-8") == ""

    again = _last_json(runner.invoke(app, command, env=env).stdout)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1500)

    mine = "mine --workspace demo --segment region:baltics --segment channel:web --n-resamples 0"
    mined = runner.invoke(app, [*mine.split(), "--json"], env=env)
    assert mined.exit_code == 0, mined.output
    job = _last_json(mined.stdout)
    assert job["state"] == "succeeded"
    result = job["result"]
    assert isinstance(result, dict)
    assert result["embedder"] == "minilm-l6-en"
    assert 0 < result["n_items"] < 1500
    assert f"{result['n_themes']} themes from {result['n_items']} items" in mined.stdout


def test_cli_ingest_exit_codes(tmp_path: Path) -> None:
    env = _env(tmp_path)
    missing = runner.invoke(app, ["ingest", str(tmp_path / "no.csv"), "--workspace", "w"], env=env)
    assert missing.exit_code == 2
    assert "No file at" in missing.output

    path = tmp_path / "in.csv"
    path.write_text("ticket,body\n1,hello\n", "utf-8")
    unmapped = runner.invoke(app, ["ingest", str(path), "--workspace", "w"], env=env)
    assert unmapped.exit_code == 2
    assert "Its columns are: 'ticket', 'body'" in unmapped.output

    odd = runner.invoke(app, ["ingest", str(path), "--workspace", "w", "--format", "xml"], env=env)
    assert odd.exit_code == 2
    assert "The format must be one of csv, jsonl, parquet" in odd.output


def test_cli_ingest_all_rows_rejected_still_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "1", "text": ""}\nnot json\n')
    result = runner.invoke(
        app, ["ingest", str(path), "--workspace", "w", "--json"], env=_env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    summary = _last_json(result.stdout)
    assert (summary["rows_read"], summary["rejected"]) == (2, 2)
    lines = (tmp_path / "in.jsonl.rejects.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["line"] for line in lines] == [1, 2]


def test_cli_mine_unknown_workspace_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["mine", "--workspace", "nobody"], env=_env(tmp_path))
    assert result.exit_code == 2
    assert "No workspace is named 'nobody'" in result.output


def test_cli_ingest_help_names_the_default_chunk_size(tmp_path: Path) -> None:
    from feedback_nlp.ingest.batch import DEFAULT_CHUNK_SIZE

    done = runner.invoke(app, ["ingest", "--help"], env=_env(tmp_path))
    assert done.exit_code == 0, done.output
    assert f"(default {DEFAULT_CHUNK_SIZE:,})" in " ".join(done.output.split())
