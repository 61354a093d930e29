"""Rebuild the licence-clean sentiment training rows in ``corpora/sentiment_train/`` from snapshots.

The rows in git were copied by this module from public repositories (fetched as git snapshots;
nothing is downloaded here); CI never runs this module. Each source gets
``corpora/sentiment_train/<source>/<lang>.csv`` (``text,label,lang``) and a ``PROVENANCE.md``;
``corpora/manifests/sentiment_train.json`` lists them all with sha256s. The training commands
read only :data:`DEFAULT_SOURCES` (the mix the shipped model was trained on); the other sources
are candidates a next training run may add by naming them.

* **goemotions** — Reddit comments, English (Demszky et al., ACL 2020), Apache-2.0. Read from
  ``monologg/GoEmotions-pytorch`` (Apache-2.0), whose ``data/group`` files carry the paper's
  sentiment grouping of the 27 emotions: ``ambiguous`` (dropped), ``negative``, ``neutral``,
  ``positive``. Only rows with exactly one group label are kept; only the train split is read.
* **xed** — movie subtitles annotated with Plutchik's eight emotions (Öhman et al., COLING
  2020), CC BY 4.0. English lines annotated by people, neutral English lines, and lines of other
  languages labelled by annotation projection. anger, disgust, fear, sadness → negative; joy,
  trust → positive; a line with anticipation or surprise, or with both polarities, is dropped.
* **sentimp21** — tweets of members of parliament of Spain and the United Kingdom,
  2021 (SentiMP-21, DaSCI / University of Granada), CC BY-SA 4.0, labelled by 3-5 annotators
  -1/0/1 (``final_label``: majority, ties broken by a curator) → negative/neutral/positive.
* **hebemo** — Hebrew comments on Covid-19 news articles of three Israeli news
  sites, 2020 (HeBERT / HebEMO, Chriqui & Yahav), MIT (the repository's LICENSE; the data
  ships in its ``data.zip``). Each comment has 3-10 crowd polarity judgements (very negative ..
  very positive, neutral); kept when at least two thirds of them fall in one of the three
  classes.

Usage (each source optional; sources not named keep their manifest entry)::

    python -m feedback_nlp.build.sentiment_data --goemotions GITDIR --xed GITDIR \
        --sentimp21 GITDIR --hebemo GITDIR
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import subprocess
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

from feedback_nlp.errors import InvalidInputError

__all__ = [
    "DEFAULT_SOURCES",
    "TRAIN_DIR",
    "CopiedSource",
    "goemotions_rows",
    "hebemo_rows",
    "main",
    "read_train_rows",
    "sentimp21_rows",
    "xed_label",
    "xed_rows",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = REPO_ROOT / "corpora" / "sentiment_train"
MANIFEST = REPO_ROOT / "corpora" / "manifests" / "sentiment_train.json"
SEED = 0
DEFAULT_SOURCES = ("goemotions", "hebemo", "sentimp21", "xed")
"""The sources the training commands read unless told otherwise (the shipped model's mix)."""

GOEMOTIONS_REPO = "monologg/GoEmotions-pytorch"
GOEMOTIONS_GROUPS = {"1": "negative", "2": "neutral", "3": "positive"}  # 0 = ambiguous
GOEMOTIONS_PER_CLASS = 2000

XED_REPO = "Helsinki-NLP/XED"
XED_NEGATIVE = frozenset({1, 3, 4, 6})  # anger, disgust, fear, sadness
XED_POSITIVE = frozenset({5, 8})  # joy, trust
XED_AMBIGUOUS = frozenset({2, 7})  # anticipation, surprise
XED_LANGS = ("ar", "he", "fa", "fr", "de", "es", "it", "pt")
XED_PER_CLASS = 800
XED_MAX_TOKEN_CHARS = 13
"""Projected lines with a longer token lost their spaces (common in the Arabic file): dropped."""

SENTIMP21_REPO = "ari-dasci/OD-SentiMP-21"
SENTIMP21_FILES = {"sp/sp_simple.csv": "es", "uk/uk_simple.csv": "en"}
SENTIMP21_LABELS = {"-1": "negative", "0": "neutral", "1": "positive"}
SENTIMP21_PER_CLASS = 1000  # above the 245 of its largest class: every row is kept

HEBEMO_REPO = "avichaychriqui/HeBERT"
HEBEMO_ZIP = "data.zip"
HEBEMO_MEMBER = "data/covid_main_raw_to_publish.csv"
"""The main annotated set; the two ``test_*`` files (the authors' test sets) are not read."""
HEBEMO_LABELS = {
    "שלילי מאוד": "negative",  # very negative
    "שלילי": "negative",
    "ניטרלי": "neutral",
    "חיובי": "positive",
    "חיובי מאוד": "positive",  # very positive
}
HEBEMO_MIN_JUDGEMENTS = 3
HEBEMO_MIN_SHARE = 2 / 3
HEBEMO_PER_CLASS = 1000

Row = tuple[str, str, str]  # text, label, lang


@dataclass(frozen=True, slots=True)
class CopiedSource:
    """One source's copied rows and the facts its provenance records."""

    name: str
    repository: str
    commit: str
    licence: str
    licence_where: str
    files: dict[str, str]  # original path -> sha256
    label_mapping: str
    rows: list[Row]


def _git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(gitdir), *args], check=True, capture_output=True
    ).stdout


def _blob(gitdir: Path, path: str) -> bytes:
    return _git(gitdir, "show", f"HEAD:{path}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _clean(text: str) -> str:
    return " ".join(text.split())


def _cap(rows: Iterable[Row], per_class: int, rng: random.Random) -> list[Row]:
    """At most ``per_class`` rows per (lang, label), sampled with ``rng``, deduplicated."""
    seen: set[str] = set()
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row[0] and row[0] not in seen:
            seen.add(row[0])
            groups.setdefault((row[2], row[1]), []).append(row)
    kept: list[Row] = []
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        kept.extend(sorted(members[:per_class]))
    return kept


def goemotions_rows(train_tsv: str, per_class: int = GOEMOTIONS_PER_CLASS) -> list[Row]:
    """Single-group rows of GoEmotions' ``data/group/train.tsv`` (``text<TAB>labels<TAB>id``)."""
    rows: list[Row] = []
    for line in train_tsv.splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] not in GOEMOTIONS_GROUPS:
            continue  # several groups, or ambiguous
        text = _clean(parts[0])
        if len(text) >= 3:
            rows.append((text, GOEMOTIONS_GROUPS[parts[1]], "en"))
    return _cap(rows, per_class, random.Random(SEED))


def xed_label(labels: str) -> str | None:
    """The polarity of one XED label list (``"1, 4"``), or ``None`` when it is not clear-cut."""
    try:
        emotions = {int(value) for value in labels.replace(" ", "").split(",") if value}
    except ValueError:
        return None
    if not emotions or emotions & XED_AMBIGUOUS or not emotions <= XED_NEGATIVE | XED_POSITIVE:
        return None
    if emotions <= XED_NEGATIVE:
        return "negative"
    if emotions <= XED_POSITIVE:
        return "positive"
    return None


def _xed_lines(tsv: str, lang: str) -> list[Row]:
    rows: list[Row] = []
    for line in tsv.splitlines():
        text, _, labels = line.rpartition("\t")
        label = xed_label(labels)
        text = _clean(text)
        if label is None or len(text) < 3:
            continue
        if max(len(token) for token in text.split()) > XED_MAX_TOKEN_CHARS and lang != "de":
            continue  # words run together (projection artefact); German compounds are long
        rows.append((text, label, lang))
    return rows


def xed_rows(
    blobs: dict[str, str], per_class: int = XED_PER_CLASS, langs: Sequence[str] = XED_LANGS
) -> list[Row]:
    """Rows of XED's English annotations, English neutral lines and projections of ``langs``."""
    rows = _xed_lines(blobs["AnnotatedData/en-annotated.tsv"], "en")
    for line in blobs["AnnotatedData/neu_en.txt"].splitlines():
        _, _, text = line.partition("\t")
        if len(_clean(text)) >= 3:
            rows.append((_clean(text), "neutral", "en"))
    for lang in langs:
        rows.extend(_xed_lines(blobs[f"Projections/{lang}-projections.tsv"], lang))
    return _cap(rows, per_class, random.Random(SEED))


def sentimp21_rows(blobs: dict[str, str], per_class: int = SENTIMP21_PER_CLASS) -> list[Row]:
    """Rows of SentiMP-21's simple files (``tweet_id,full_text,final_label``), every label kept."""
    rows: list[Row] = []
    for path, lang in SENTIMP21_FILES.items():
        for record in csv.DictReader(StringIO(blobs[path])):
            label = SENTIMP21_LABELS.get(record["final_label"].strip())
            text = _clean(record["full_text"])
            if label is not None and len(text) >= 3:
                rows.append((text, label, lang))
    return _cap(rows, per_class, random.Random(SEED))


def hebemo_label(judgements: Sequence[str]) -> str | None:
    """The class at least two thirds of a comment's polarity judgements agree on, else ``None``."""
    labels = [HEBEMO_LABELS[value] for value in judgements if value in HEBEMO_LABELS]
    if len(labels) < HEBEMO_MIN_JUDGEMENTS:
        return None
    label, votes = Counter(labels).most_common(1)[0]
    return label if votes >= HEBEMO_MIN_SHARE * len(labels) else None


def hebemo_rows(table: str, per_class: int = HEBEMO_PER_CLASS) -> list[Row]:
    """Agreed polarity rows of HebEMO's annotation table (one row per judgement)."""
    judgements: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    for record in csv.DictReader(StringIO(table)):
        if record["emotion_en"] != "sentiment":
            continue  # the eight emotion judgements of the same comment
        judgements.setdefault(record["doc_id"], []).append(record["value"].strip())
        texts.setdefault(record["doc_id"], _clean(record["talkbacks"]).lstrip(", "))
    rows: list[Row] = []
    for doc_id, values in judgements.items():
        label = hebemo_label(values)
        if label is not None and len(texts[doc_id]) >= 3:
            rows.append((texts[doc_id], label, "he"))
    return _cap(rows, per_class, random.Random(SEED))


def _copy(
    gitdir: Path, paths: Sequence[str], make: Callable[[dict[str, str]], list[Row]]
) -> tuple[str, dict[str, str], list[Row]]:
    commit = _git(gitdir, "rev-parse", "HEAD").decode().strip()
    data = {path: _blob(gitdir, path) for path in paths}
    rows = make({path: blob.decode("utf-8") for path, blob in data.items()})
    return commit, {path: _sha(blob) for path, blob in data.items()}, rows


def copy_goemotions(gitdir: Path) -> CopiedSource:
    """Copy the GoEmotions rows from a snapshot of :data:`GOEMOTIONS_REPO`."""
    path = "data/group/train.tsv"
    commit, files, rows = _copy(gitdir, [path], lambda blobs: goemotions_rows(blobs[path]))
    if not _blob(gitdir, "LICENSE").decode().lstrip().startswith("Apache License"):
        raise InvalidInputError(f"{GOEMOTIONS_REPO}'s LICENSE is no longer Apache-2.0.")
    return CopiedSource(
        name="goemotions",
        repository=f"https://github.com/{GOEMOTIONS_REPO}",
        commit=commit,
        licence="Apache-2.0",
        licence_where=(
            "LICENSE of monologg/GoEmotions-pytorch (Apache License 2.0); the GoEmotions data "
            "itself is released by Google under Apache-2.0 (google-research/google-research, "
            "goemotions/)"
        ),
        files=files,
        label_mapping=(
            "data/group labels (the paper's sentiment grouping): 1 negative, 2 neutral, "
            "3 positive; 0 ambiguous and multi-group rows dropped; train split only"
        ),
        rows=rows,
    )


def copy_xed(gitdir: Path) -> CopiedSource:
    """Copy the XED rows from a snapshot of :data:`XED_REPO`."""
    paths = [
        "AnnotatedData/en-annotated.tsv",
        "AnnotatedData/neu_en.txt",
        *(f"Projections/{lang}-projections.tsv" for lang in XED_LANGS),
    ]
    commit, files, rows = _copy(gitdir, paths, xed_rows)
    if "Creative Commons Attribution 4.0" not in _blob(gitdir, "README.md").decode():
        raise InvalidInputError(f"{XED_REPO}'s README no longer states CC BY 4.0.")
    return CopiedSource(
        name="xed",
        repository=f"https://github.com/{XED_REPO}",
        commit=commit,
        licence="CC BY 4.0",
        licence_where=(
            "README.md of Helsinki-NLP/XED: 'License: Creative Commons Attribution 4.0 "
            "International License (CC-BY)'. Attribution: Öhman, Pàmies, Kajava & Tiedemann, "
            "XED: A Multilingual Dataset for Sentiment Analysis and Emotion Detection, COLING "
            "2020. The lines are OpenSubtitles lines (via OPUS)."
        ),
        files=files,
        label_mapping=(
            "Plutchik labels 1 anger, 3 disgust, 4 fear, 6 sadness -> negative; 5 joy, 8 trust "
            "-> positive; lines with 2 anticipation or 7 surprise, or both polarities, dropped; "
            "AnnotatedData/neu_en.txt -> neutral (English only: the projections have no "
            f"neutral); projected lines with a token over {XED_MAX_TOKEN_CHARS} characters "
            "dropped (words run together), except German"
        ),
        rows=rows,
    )


def copy_sentimp21(gitdir: Path) -> CopiedSource:
    """Copy the SentiMP-21 rows (Spain: es, UK: en) from a snapshot of :data:`SENTIMP21_REPO`."""
    commit, files, rows = _copy(gitdir, list(SENTIMP21_FILES), sentimp21_rows)
    readme = _blob(gitdir, "README.md").decode()
    if "Creative Commons Attribution-ShareAlike 4.0 International License" not in readme:
        raise InvalidInputError(f"{SENTIMP21_REPO}'s README no longer states CC BY-SA 4.0.")
    return CopiedSource(
        name="sentimp21",
        repository=f"https://github.com/{SENTIMP21_REPO}",
        commit=commit,
        licence="CC BY-SA 4.0",
        licence_where=(
            "README.md of ari-dasci/OD-SentiMP-21: 'This work is licensed under a Creative "
            "Commons Attribution-ShareAlike 4.0 International License'. Attribution: SentiMP-21 "
            "Dataset, Andalusian Research Institute in Data Science and Computational "
            "Intelligence (DaSCI, University of Granada) with Cardiff NLP; contact Nuria "
            "Rodríguez Barroso. Tweets by members of parliament, 2021. ShareAlike: these "
            "copied rows stay under CC BY-SA 4.0."
        ),
        files=files,
        label_mapping=(
            "final_label (annotator majority, ties broken by tie_break): -1 negative, "
            "0 neutral, 1 positive; sp/ -> es, uk/ -> en; the 'simple' files, which already "
            "leave out the tweets marked 'x' (not assessable); gr/ (Greek) not copied"
        ),
        rows=rows,
    )


def copy_hebemo(gitdir: Path) -> CopiedSource:
    """Copy the HebEMO polarity rows from a snapshot of :data:`HEBEMO_REPO`."""
    commit = _git(gitdir, "rev-parse", "HEAD").decode().strip()
    archive = _blob(gitdir, HEBEMO_ZIP)
    with zipfile.ZipFile(BytesIO(archive)) as bundle:
        table = bundle.read(HEBEMO_MEMBER)
    if not _blob(gitdir, "LICENSE").decode().lstrip().startswith("MIT License"):
        raise InvalidInputError(f"{HEBEMO_REPO}'s LICENSE is no longer MIT.")
    return CopiedSource(
        name="hebemo",
        repository=f"https://github.com/{HEBEMO_REPO}",
        commit=commit,
        licence="MIT",
        licence_where=(
            "LICENSE of avichaychriqui/HeBERT (MIT License, Copyright (c) 2020 avichaychriqui), "
            "the only licence in the repository; its README says 'All the datasets can be "
            "found on data.zip in this git'. Attribution: Chriqui & Yahav, HeBERT & HebEMO: a "
            "Hebrew BERT Model and a Tool for Polarity Analysis and Emotion Recognition, "
            "INFORMS Journal on Data Science 2022. Comments posted on news sites (ynet and "
            "others), 2020."
        ),
        files={HEBEMO_ZIP: _sha(archive), f"{HEBEMO_ZIP}:{HEBEMO_MEMBER}": _sha(table)},
        label_mapping=(
            "rows with emotion_en 'sentiment' of data/covid_main_raw_to_publish.csv, one per "
            "crowd judgement: שלילי מאוד / שלילי -> negative, ניטרלי -> neutral, חיובי / "
            "חיובי מאוד -> positive, -99 (no answer) ignored; a comment is kept when it has "
            f"at least {HEBEMO_MIN_JUDGEMENTS} judgements and two thirds of them agree; the "
            "authors' test_insample/test_outsample files not read; at most "
            f"{HEBEMO_PER_CLASS} per class"
        ),
        rows=hebemo_rows(table.decode("utf-8-sig")),
    )


def write_source(source: CopiedSource, out_dir: Path = TRAIN_DIR) -> dict[str, Any]:
    """Write one source's CSVs and PROVENANCE.md; return its manifest entry."""
    folder = out_dir / source.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    by_lang: dict[str, list[Row]] = {}
    for row in source.rows:
        by_lang.setdefault(row[2], []).append(row)
    files: dict[str, Any] = {}
    for lang, rows in sorted(by_lang.items()):
        path = folder / f"{lang}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["text", "label", "lang"])
            writer.writerows(rows)
        counts = {label: sum(r[1] == label for r in rows) for label in _LABELS}
        files[path.name] = {"rows": len(rows), "labels": counts, "sha256": _sha(path.read_bytes())}
    lines = [
        f"# {source.name}: provenance",
        "",
        f"- repository: {source.repository}",
        f"- commit: {source.commit}",
        f"- licence: {source.licence} — {source.licence_where}",
        f"- label mapping: {source.label_mapping}",
        "- original files (sha256 of the blob at that commit):",
        *(f"  - `{path}`: `{sha}`" for path, sha in source.files.items()),
        "- copied: at most the cap per (language, class), sampled with seed 0, whitespace "
        "collapsed, duplicates dropped; rebuilt by `python -m feedback_nlp.build.sentiment_data`",
        "- files here: "
        + ", ".join(f"`{name}` ({facts['rows']} rows)" for name, facts in files.items()),
        "",
    ]
    (folder / "PROVENANCE.md").write_text("\n".join(lines), encoding="utf-8")
    return {
        "repository": source.repository,
        "commit": source.commit,
        "licence": source.licence,
        "licence_where": source.licence_where,
        "original_files": source.files,
        "label_mapping": source.label_mapping,
        "files": files,
    }


_LABELS = ("negative", "neutral", "positive")


def read_train_rows(
    folder: Path = TRAIN_DIR, sources: Sequence[str] | None = DEFAULT_SOURCES
) -> list[tuple[str, str, str, str]]:
    """The copied rows of ``sources`` (``None``: every source) as ``(text, label, lang, source)``.

    Sources and files come in sorted order.
    """
    rows: list[tuple[str, str, str, str]] = []
    for path in sorted(folder.glob("*/*.csv")):
        if sources is not None and path.parent.name not in sources:
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                if row["label"] not in _LABELS or not row["text"].strip():
                    raise InvalidInputError(f"Row {line} of '{path}' is not a valid training row.")
                rows.append((row["text"], row["label"], row["lang"], path.parent.name))
    return rows


_COPIERS: dict[str, Callable[[Path], CopiedSource]] = {
    "goemotions": copy_goemotions,
    "xed": copy_xed,
    "sentimp21": copy_sentimp21,
    "hebemo": copy_hebemo,
}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: copy the rows of the named sources and update the manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in _COPIERS:
        parser.add_argument(f"--{name}", type=Path, help="git dir of the snapshot")
    parser.add_argument("--out", type=Path, default=TRAIN_DIR)
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)
    named = {name: getattr(args, name) for name in _COPIERS if getattr(args, name) is not None}
    if not named:
        parser.error("name at least one source snapshot")
    old = json.loads(args.manifest.read_text(encoding="utf-8")) if args.manifest.exists() else {}
    entries: dict[str, Any] = dict(old.get("sources", {}))
    rebuilt = {
        name: write_source(_COPIERS[name](gitdir), args.out) for name, gitdir in named.items()
    }
    entries.update(rebuilt)
    manifest = {
        "description": (
            "Licence-clean sentiment training rows copied into corpora/sentiment_train/ "
            "(plus the project-written corpora/sentiment_seed/, Apache-2.0, and the Hebrew "
            "OnlpLab train/dev files read from ../shared). Never evaluation test files, XLM-T, "
            "ParsiNLU or SemEval. Training reads the default sources "
            f"({', '.join(DEFAULT_SOURCES)}); the others are candidates for a next run."
        ),
        "builder": (
            "python -m feedback_nlp.build.sentiment_data "
            + " ".join(f"--{name} GITDIR" for name in _COPIERS)
        ),
        "default_sources": list(DEFAULT_SOURCES),
        "sources": dict(sorted(entries.items())),
    }
    args.manifest.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(json.dumps({k: v["files"] for k, v in rebuilt.items()}, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
