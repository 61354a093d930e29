"""Saving a workspace's analytics state to disk and loading it back, crash-safely.

A snapshot is two Parquet files (items with their database ids, units) and a manifest
``current.json`` naming them, with their SHA-256 and the state's watermarks (``meta``). Files are
written under fresh names, flushed to disk, and only then does the manifest point at them
(temp file + ``os.replace``, atomic on POSIX), so a process killed at any moment leaves either
the previous snapshot or the new one, never a mix. :func:`load_snapshot` checks the format, the
hashes and the row counts, and answers ``None`` for anything incomplete or foreign: the caller
then rebuilds from the database. The mentions matrix is not stored: it follows from the units.
The outcome columns a frame carries are stored under their own names and listed in the
manifest (``outcomes``); a snapshot written before they existed lists none and loads as a frame
without them, which is what a rebuild gives for items stored before them.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.merge import OUTCOME_ORDER, FrameParts, item_table
from feedback_nlp.models import file_sha256

__all__ = ["FORMAT", "load_snapshot", "save_snapshot"]

FORMAT = "feedback-nlp.analytics-state.v1"
MANIFEST = "current.json"


def _write_table(table: pa.Table, path: Path) -> None:
    with path.open("wb") as handle:
        pq.write_table(table, handle, compression="zstd")
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def save_snapshot(directory: Path, parts: FrameParts, meta: dict[str, Any]) -> None:
    """Write ``parts`` and ``meta`` (JSON-ready) as the current snapshot of ``directory``.

    Older snapshot files are removed once the manifest points at the new ones.
    """
    directory.mkdir(parents=True, exist_ok=True)
    frame = parts.frame
    stem = uuid.uuid4().hex[:12]
    items = frame.items
    columns: dict[str, Any] = {
        "id": pa.array(parts.ids, pa.int64()),
        "item_id": pa.array(items["item_id"].to_numpy(dtype=object), pa.string()),
        "created_at": pa.array(frame.created_ns(), pa.int64()),
    }
    for name in ("nps", "csat", "ces", "sentiment"):
        columns[name] = pa.array(items[name].to_numpy(dtype=np.float64), pa.float64())
    outcomes = [name for name in OUTCOME_ORDER if name in items.columns]
    for name in outcomes:
        kind = pa.string() if name == "customer_id" else pa.float64()
        columns[name] = pa.array(
            items[name].to_numpy(dtype=object if name == "customer_id" else np.float64), kind
        )
    for index, name in enumerate(frame.segments):
        columns[f"s{index}"] = pa.array(items[name].to_numpy(dtype=object), pa.string())
    units = frame.units
    unit_columns = {
        "item": pa.array(units["item"].to_numpy(dtype=np.int64), pa.int64()),
        "theme": pa.array(units["theme"].to_numpy(dtype=np.int64), pa.int64()),
        "sentiment": pa.array(units["sentiment"].to_numpy(dtype=np.float64), pa.float64()),
    }
    for name in ("label", "text", "candidate"):
        unit_columns[name] = pa.array(units[name].to_numpy(dtype=object), pa.string())
    files = {"items": f"items-{stem}.parquet", "units": f"units-{stem}.parquet"}
    _write_table(pa.table(columns), directory / files["items"])
    _write_table(pa.table(unit_columns), directory / files["units"])
    manifest = {
        "format": FORMAT,
        "files": files,
        "sha256": {key: file_sha256(directory / name) for key, name in files.items()},
        "n_items": frame.n_items,
        "n_units": len(units),
        "segments": list(frame.segments),
        "outcomes": outcomes,
        "segment_keys": list(parts.segment_keys),
        "source_field": parts.source_field,
        "theme_ids": list(frame.theme_ids),
        "meta": meta,
    }
    temp = directory / f".{MANIFEST}.{stem}.tmp"
    with temp.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle)
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(directory)
    os.replace(temp, directory / MANIFEST)
    _fsync_dir(directory)
    keep = {MANIFEST, *files.values()}
    for path in directory.iterdir():
        if path.name not in keep and not path.name.startswith(f".{MANIFEST}"):
            with contextlib.suppress(OSError):
                path.unlink()


def load_snapshot(directory: Path) -> tuple[FrameParts, dict[str, Any]] | None:
    """The current snapshot of ``directory`` and its ``meta``; ``None`` if absent or damaged."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            return None
        files = manifest["files"]
        for key, name in files.items():
            if file_sha256(directory / name) != manifest["sha256"][key]:
                return None
        items = pq.read_table(directory / files["items"])
        units = pq.read_table(directory / files["units"])
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None
    if items.num_rows != manifest["n_items"] or units.num_rows != manifest["n_units"]:
        return None
    segments = tuple(manifest["segments"])

    def column(table: pa.Table, name: str) -> np.ndarray:
        return np.asarray(table.column(name).to_numpy(zero_copy_only=False))

    columns = {name: column(items, name) for name in ("item_id", "created_at")}
    for name in ("nps", "csat", "ces", "sentiment"):
        columns[name] = column(items, name).astype(np.float64)
    for name in manifest.get("outcomes", []):
        if name not in OUTCOME_ORDER:
            return None
        values = column(items, name)
        columns[name] = values.astype(object if name == "customer_id" else np.float64)
    for index, name in enumerate(segments):
        columns[name] = column(items, f"s{index}").astype(object)
    unit_table = pd.DataFrame(
        {
            "item": column(units, "item").astype(np.int64),
            "theme": column(units, "theme").astype(np.int64),
            "sentiment": column(units, "sentiment").astype(np.float64),
        }
    )
    for name in ("label", "text", "candidate"):
        unit_table[name] = pd.Series(column(units, name).astype(object), dtype=object)
    theme_ids = tuple(manifest["theme_ids"])
    mentions = np.zeros((items.num_rows, len(theme_ids)), dtype=np.bool_)
    assigned = unit_table["theme"].to_numpy() >= 0
    mentions[unit_table["item"].to_numpy()[assigned], unit_table["theme"].to_numpy()[assigned]] = (
        True
    )
    frame = FeedbackFrame(
        items=item_table(columns, segments),
        segments=segments,
        theme_ids=theme_ids,
        mentions=mentions,
        units=unit_table,
    )
    parts = FrameParts(
        frame=frame,
        ids=column(items, "id").astype(np.int64),
        segment_keys=tuple(manifest["segment_keys"]),
        source_field=bool(manifest["source_field"]),
    )
    return parts, dict(manifest["meta"])
