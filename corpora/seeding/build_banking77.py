"""Write ``banking77_seeds.json``: 10 banking77 intents, each with its name and 3 train phrases.

The phrases come from banking77's TRAIN split (``../shared/corpora/banking77/train.csv``, a
byte-identical copy of ``banking_data/train.csv`` of PolyAI-LDN/task-specific-datasets; the
sha256 is checked), never from the test file the seeds are measured on. Rules, fixed before any
measurement:

* intents: ``random.Random(16).sample(categories, 10)`` over ``banking_data/categories.json`` in
  its published order (16: the issue that asked for the measurement);
* examples: the first 3 rows of each intent in ``train.csv``'s file order, as they are;
* name: the intent label with ``_`` read as a space and a trailing ``?`` dropped.

Run from the repository root: ``python corpora/seeding/build_banking77.py``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
BANKING77 = HERE.parents[2] / "shared" / "corpora" / "banking77"
OUT = HERE / "banking77_seeds.json"
TRAIN_SHA256 = "b06e26ac675513959a63135f11b94ea7786ed02da65db93a5650d8838cbc664b"
PICK_SEED = 16
N_INTENTS = 10
N_EXAMPLES = 3


def intent_name(label: str) -> str:
    """``card_arrival`` -> "card arrival"; ``reverted_card_payment?`` -> "reverted card payment"."""
    return " ".join(re.split(r"_+", label.rstrip("?"))).strip()


def train_rows(folder: Path = BANKING77) -> list[tuple[str, str]]:
    """``(text, category)`` of every train row, in file order (the sha256 is checked first)."""
    path = folder / "train.csv"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != TRAIN_SHA256:
        raise SystemExit(f"{path} is not the published train split (sha256 {digest})")
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def first_examples(rows: list[tuple[str, str]], n: int = N_EXAMPLES) -> dict[str, list[str]]:
    """The first ``n`` train texts of every intent, in file order."""
    found: dict[str, list[str]] = {}
    for text, label in rows:
        picked = found.setdefault(label, [])
        if len(picked) < n:
            picked.append(text)
    return found


def build(folder: Path = BANKING77) -> dict[str, object]:
    """The seeds document."""
    categories = json.loads((folder / "categories.json").read_text(encoding="utf-8"))
    intents = random.Random(PICK_SEED).sample(categories, N_INTENTS)
    examples = first_examples(train_rows(folder))
    return {
        "source": "PolyAI-LDN/task-specific-datasets banking_data/train.csv (CC BY 4.0)",
        "rule": (
            f"intents: random.Random({PICK_SEED}).sample(categories.json, {N_INTENTS}); "
            f"examples: the first {N_EXAMPLES} train.csv rows of each intent"
        ),
        "seeds": [
            {"label": label, "name": intent_name(label), "examples": examples[label]}
            for label in intents
        ],
    }


def main() -> None:
    """Write the seeds file."""
    text = json.dumps(build(), ensure_ascii=False, indent=2) + "\n"
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
