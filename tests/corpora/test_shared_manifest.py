from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[2] / "corpora" / "manifests" / "shared_corpora.json"


def _entries() -> list[dict[str, object]]:
    return list(json.loads(MANIFEST.read_text(encoding="utf-8"))["files"])


def test_shared_manifest_lists_every_evaluation_task() -> None:
    paths = {str(entry["path"]) for entry in _entries()}
    assert "eval/themes/banking77_test.csv" in paths
    assert "eval/sentiment/xlmt_en_test.csv" in paths
    sib200 = {f"eval/themes/sib200_{lang}_test.csv" for lang in ("en", "ar", "he", "fa", "lt")}
    assert sib200 <= paths


def test_shared_manifest_marks_non_trainable_sets() -> None:
    for entry in _entries():
        if str(entry["path"]).startswith(("eval/sentiment/xlmt", "eval/sentiment/parsinlu")):
            assert entry["use"] == "evaluation only"


@pytest.mark.corpus
def test_shared_manifest_matches_the_files(shared_corpora: Path) -> None:
    for entry in _entries():
        path = shared_corpora / str(entry["path"])
        assert path.is_file(), path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], path
