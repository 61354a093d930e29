"""``feedback-nlp mine``: a deprecated ``key=value`` segment warns; windows are checked."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from feedback_nlp.cli import app

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"FEEDBACK_NLP_DATABASE__URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "COLUMNS": "200"}


def test_cli_mine_key_equals_value_segment_warns_on_stderr(tmp_path: Path) -> None:
    command = ["mine", "--workspace", "nobody", "--no-wait", "--segment", "plan=pro"]
    result = runner.invoke(app, command, env=_env(tmp_path))
    assert result.exit_code == 2  # the segment is read; the workspace does not exist
    assert "Deprecated: --segment 'plan=pro'" in result.stderr
    assert "'plan:pro'" in result.stderr
    assert "No workspace is named 'nobody'" in result.stdout


def test_cli_mine_key_colon_value_segment_does_not_warn(tmp_path: Path) -> None:
    command = ["mine", "--workspace", "nobody", "--no-wait", "--segment", "plan:pro"]
    result = runner.invoke(app, command, env=_env(tmp_path))
    assert result.exit_code == 2
    assert "Deprecated" not in result.stderr


def test_cli_mine_refuses_an_empty_window(tmp_path: Path) -> None:
    command = [
        "mine",
        "--workspace",
        "x",
        "--no-wait",
        "--from",
        "2026-02-01",
        "--to",
        "2026-01-01",
    ]
    result = runner.invoke(app, command, env=_env(tmp_path))
    assert result.exit_code == 2
    assert "The 'from' instant must be before 'to'" in result.stdout
