"""Sentiment accuracy, macro-F1 and speed of the shipped head on the shared evaluation corpora.

Runs ``feedback-nlp eval sentiment FILE --json`` (through :func:`run_sentiment_eval`, the same
code) on each sentiment test file — the eight XLM-T tweet files, the Hebrew OnlpLab comments
and the ParsiNLU Persian food reviews — and prints a Markdown table with macro-F1, accuracy and
items/s per file plus the XLM-T average. None of these files is used for training or tuning.

Also scores the project's regression set (``corpora/sentiment_regression/*.csv``) and prints each
file's ECE.

Usage::

    python bench/eval_sentiment.py [--model NAME] [--jsonl OUT.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from feedback_nlp.eval.sentiment import DEFAULT_HEAD, run_sentiment_eval

REPO_ROOT = Path(__file__).resolve().parents[1]

CORPORA = REPO_ROOT.parent / "shared" / "corpora" / "eval" / "sentiment"
XLMT = [
    CORPORA / f"xlmt_{lang}_test.csv" for lang in ("ar", "en", "fr", "de", "hi", "it", "pt", "es")
]
OTHERS = [CORPORA / "hebrew_onlplab_test.csv", CORPORA / "parsinlu_fa_food_test.csv"]
REGRESSION = sorted((REPO_ROOT / "corpora" / "sentiment_regression").glob("*.csv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jsonl", type=Path, default=None, help="also write one JSON per file")
    parser.add_argument("--model", default=DEFAULT_HEAD, help="registered sentiment model")
    args = parser.parse_args()
    print(f"1-minute load average at start: {os.getloadavg()[0]:.1f}")
    print(f"model: {args.model}")
    print("| file | n | macro-F1 | accuracy | ECE | items/s |")
    print("|---|---:|---:|---:|---:|---:|")
    xlmt_f1: list[float] = []
    out = args.jsonl.open("w", encoding="utf-8") if args.jsonl else None
    for path in XLMT + OTHERS + REGRESSION:
        result = run_sentiment_eval(path, model_name=args.model)
        if path in XLMT:
            xlmt_f1.append(result.macro_f1)
        print(
            f"| {path.parent.name}/{path.name} | {result.n} | {result.macro_f1:.4f} "
            f"| {result.accuracy:.4f} | {result.ece:.4f} | {result.items_per_s:.1f} |",
            flush=True,
        )
        if out is not None:
            out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            out.flush()
    print(f"\nXLM-T mean macro-F1 over {len(xlmt_f1)} languages: {sum(xlmt_f1) / len(xlmt_f1):.4f}")


if __name__ == "__main__":
    main()
