"""Where a mining job's heavy steps run: in this process (``local``) or on Ray (``ray``).

:func:`get_engine` is the only entry point the CLI and the jobs use; Ray is imported only when
the ``ray`` engine is asked for.
"""

from __future__ import annotations

from feedback_nlp.engines.base import Engine, EngineEmbedder
from feedback_nlp.engines.local import LocalEngine
from feedback_nlp.errors import InvalidInputError

__all__ = ["ENGINES", "Engine", "EngineEmbedder", "LocalEngine", "get_engine"]

ENGINES = ("local", "ray")
"""The engine names :func:`get_engine` knows."""


def get_engine(name: str = "local", address: str | None = None) -> Engine:
    """Return the engine called ``name``.

    Args:
        name: ``"local"`` (this process) or ``"ray"`` (a Ray cluster).
        address: The Ray cluster to join (``ray`` only; default: a private local instance).

    Raises:
        InvalidInputError: If ``name`` is unknown, or an address is given to ``local``.
        EngineNotInstalledError: If ``ray`` is asked for and Ray is not installed.
    """
    if name == "local":
        if address is not None:
            raise InvalidInputError(
                "A Ray address needs the 'ray' engine. "
                f"Got the 'local' engine with address {address!r}."
            )
        return LocalEngine()
    if name == "ray":
        from feedback_nlp.engines.ray import RayEngine

        return RayEngine(address)
    raise InvalidInputError(
        f"The engine must be one of {', '.join(ENGINES)}. Got {name!r}. Example: --engine ray"
    )
