"""Step 5: the finished model: branch, calibrated head, manifest, model card and scores.

The upper layers are written as a branch, the dev rows embedded with the default embedder and
that int8 branch, a temperature fitted on them and folded into ``head.npz``; the manifest records
the training facts and data sources, optionally with the scores of the evaluation files.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np

from feedback_nlp.build.e5_build import TRUNK_LAYERS
from feedback_nlp.build.sentiment_finetune.card import model_card
from feedback_nlp.build.sentiment_finetune.config import (
    DEFAULT_OUT,
    EVAL_DIR,
    HEAD_SCALE,
    REGRESSION_DIR,
    REPO_ROOT,
    FinetuneConfig,
    FinetuneOutcome,
    Log,
    TrainRow,
)
from feedback_nlp.build.sentiment_finetune.head import _Head
from feedback_nlp.build.sentiment_finetune.scoring import _softmax, fit_temperature, group_macro_f1
from feedback_nlp.sentiment.classifier import LABELS


def _finish(
    head: _Head,
    rows: list[TrainRow],
    train_idx: list[int],
    dev_idx: list[int],
    config: FinetuneConfig,
    outcome: FinetuneOutcome,
    log: Log,
) -> dict[str, Any]:
    """Save body and head, calibrate on the dev rows with the int8 body, write manifest and card."""
    from feedback_nlp.build.e5_branch import save_branch
    from feedback_nlp.eval.sentiment import expected_calibration_error
    from feedback_nlp.models import file_sha256, load_model
    from feedback_nlp.sentiment.classifier import label_probs
    from feedback_nlp.sentiment.finetuned import (
        DEFAULT_EMBEDDER,
        FINETUNED_FORMAT,
        HEAD_FILE,
        FineTunedSentiment,
    )

    out = config.out_dir
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("body", HEAD_FILE):  # an older layout, or the head of an earlier run
        target = out / stale
        if target.is_dir():
            import shutil

            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    counts = _counts(rows, train_idx)
    training = {
        "task": "3-class sentiment (negative, neutral, positive)",
        "steps": outcome.steps,
        "settings": config.to_json(),
        "rows": counts,
    }
    branch = save_branch(head.model, out, from_layer=TRUNK_LAYERS)
    weight = head.linear.weight.detach().double().numpy() * HEAD_SCALE
    bias = head.linear.bias.detach().double().numpy()
    embedder = load_model(DEFAULT_EMBEDDER)
    from feedback_nlp.embed.e5_onnx import OnnxBranch

    runtime_branch = OnnxBranch(out / branch["file"], from_layer=branch["from_layer"])
    dev_rows = [rows[i] for i in dev_idx]
    log(f"calibrating on {len(dev_rows)} dev rows with {DEFAULT_EMBEDDER} and the int8 branch")
    _, branched = embedder.encode_with_branch([r.text for r in dev_rows], runtime_branch)
    vectors = np.asarray(branched, dtype=np.float64)
    logits = vectors @ weight.T + bias
    truth = [r.label for r in dev_rows]
    temperature = fit_temperature(logits, [LABELS.index(t) for t in truth])
    coef, intercept = weight / temperature, bias / temperature
    np.savez(out / HEAD_FILE, coef=coef.astype(np.float32), intercept=intercept.astype(np.float32))
    probs = _softmax(vectors @ coef.T + intercept)
    predicted = label_probs(probs)
    per_group = group_macro_f1(dev_rows, predicted)
    dev = {
        "rows": len(dev_rows),
        "temperature": round(temperature, 4),
        "ece_before": round(expected_calibration_error(_softmax(logits), truth), 4),
        "ece_after": round(expected_calibration_error(probs, truth), 4),
        "macro_f1_per_group": {k: round(v, 4) for k, v in per_group.items()},
    }
    manifest: dict[str, Any] = {
        "name": config.name,
        "kind": "sentiment",
        "format": FINETUNED_FORMAT,
        "labels": list(LABELS),
        "dim": int(coef.shape[1]),
        "score": "P(positive) - P(negative)",
        "head": "softmax(normalised body vector @ coef.T + intercept), temperature folded in",
        "head_sha256": file_sha256(out / HEAD_FILE),
        "embedder": DEFAULT_EMBEDDER,
        "branch": branch,
        "training": {
            **training,
            "examples_per_s": _rounded(outcome.examples_per_s),
            "train_seconds": _rounded(outcome.train_seconds),
        },
        "dev": dev,
        "data": _data_sources(config.sources),
        "trained": dt.date.today().isoformat(),
        "command": _command(config),
    }
    if config.evaluate:
        (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        model = FineTunedSentiment.from_dir(out, name=config.name, load_embedder=load_model)
        manifest["eval"] = _evaluate(model, config.name, log)
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "README.md").write_text(model_card(manifest), encoding="utf-8")
    log(f"wrote {out}")
    return manifest


def _counts(rows: list[TrainRow], indices: list[int]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for i in indices:
        key = f"{rows[i].source}:{rows[i].lang}"
        table.setdefault(key, dict.fromkeys(LABELS, 0))[rows[i].label] += 1
    return dict(sorted(table.items()))


def _data_sources(trained_on: tuple[str, ...]) -> dict[str, Any]:
    manifest_path = REPO_ROOT / "corpora" / "manifests" / "sentiment_train.json"
    copied = json.loads(manifest_path.read_text(encoding="utf-8"))["sources"]
    sources: dict[str, Any] = {
        name: {
            "repository": s["repository"],
            "commit": s["commit"],
            "licence": s["licence"],
            "label_mapping": s["label_mapping"],
        }
        for name, s in copied.items()
        if name in trained_on  # candidate sources in the manifest are not trained on
    }
    sources["seed"] = {
        "repository": "this project (corpora/sentiment_seed)",
        "licence": "Apache-2.0",
        "label_mapping": "as written",
    }
    sources["onlplab"] = {
        "repository": "https://github.com/OnlpLab/Hebrew-Sentiment-Data (token/train.tsv, dev.tsv)",
        "commit": "3ae441366b75f776c9ca32e919e51413d5a2bc87",
        "licence": "MIT (omilab/Neural-Sentiment-Analyzer-for-Modern-Hebrew, which it re-splits)",
        "label_mapping": "0 positive, 1 negative, 2 neutral",
    }
    return sources


def _command(config: FinetuneConfig) -> str:
    parts = ["feedback-nlp models train sentiment"]
    if config.out_dir != DEFAULT_OUT:
        parts.append(f"--out {config.out_dir}")
    parts.append(f"--epochs {config.epochs:g}")
    if config.batch_size != 32:
        parts.append(f"--batch-size {config.batch_size}")
    if config.freeze_layers != TRUNK_LAYERS:
        parts.append(f"--freeze-layers {config.freeze_layers}")
    return " ".join(parts)


def _evaluate(model: Any, name: str, log: Log) -> dict[str, Any]:
    """Scores of the evaluation files that are present and of the regression set."""
    from feedback_nlp.eval.sentiment import run_sentiment_eval

    files = sorted(EVAL_DIR.glob("*.csv")) + sorted(REGRESSION_DIR.glob("*.csv"))
    scores: dict[str, Any] = {}
    for path in files:
        result = run_sentiment_eval(path, model_name=name, model=model)
        key = path.name if path.parent == EVAL_DIR else f"regression/{path.name}"
        scores[key] = {
            "n": result.n,
            "macro_f1": round(result.macro_f1, 4),
            "accuracy": round(result.accuracy, 4),
            "ece": round(result.ece, 4),
            "items_per_s": round(result.items_per_s, 1),
        }
        log(f"{key}: {scores[key]}")
    return scores


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
