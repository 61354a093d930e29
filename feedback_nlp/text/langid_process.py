"""Language identification in a child process, so that lingua never holds this process's GIL.

lingua's batch API (``compute_language_confidence_values_in_parallel``) runs on a Rust thread
pool but keeps the GIL for the whole call: measured on 2 cores, a Python thread beside it ran at
1% of its speed while 9,150 texts were detected (0.8 s). In the ingest pipeline that stalls the
reader and the store thread for a third of the run, and in the server it stalls every request
while a batch is being identified.

:class:`LanguageIdProcess` answers :meth:`identify_many` exactly as the
:class:`~feedback_nlp.text.langid.LanguageIdentifier` it is configured like, from a child
process that owns the identifier (its lingua models too: the parent never loads them):

* the child is started on first use, or by :meth:`start` (the server starts it in its lifespan:
  the models then load beside startup, not inside the first request);
* the child is ``python -m feedback_nlp.text.langid_process FD CONFIG`` on one end of a socket
  pair (not :mod:`multiprocessing`'s spawn, which would import the parent's ``__main__``: the
  whole CLI, scipy and pandas included);
* one call at a time goes through the socket (a lock); texts go as a list of ``str`` and guesses
  come back as ``(lang, confidence)`` pairs, pickled by
  :class:`multiprocessing.connection.Connection`;
* :meth:`LanguageIdProcess.redact_and_identify` has the child redact the texts first (a
  :class:`~feedback_nlp.text.pii.PiiRedactor` configured like the caller's) and identify the
  redacted texts: the ingest pipeline's parent is bound by its GIL, the child is idle half the
  time, and a text without PII does not travel back;
* a child that died (killed, out of memory) is started again once for the call that found it
  gone; a second failure raises :class:`~feedback_nlp.errors.ModelLoadError`;
* the child exits when its pipe closes, so a parent killed with SIGKILL leaves no child behind;
  it ignores SIGINT (a Ctrl-C in the terminal reaches the whole process group: the parent
  decides).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

import feedback_nlp
from feedback_nlp.errors import InvalidInputError, ModelLoadError
from feedback_nlp.text.langid import LanguageGuess, LanguageIdentifier, LanguageIdentifying
from feedback_nlp.text.pii import PiiRedactor

__all__ = ["LanguageIdProcess", "RedactedGuess", "redact_then_identify"]


class RedactedGuess(NamedTuple):
    """One text after :meth:`LanguageIdProcess.redact_and_identify`."""

    text: str
    """The redacted text."""
    pii_kinds: tuple[str, ...]
    """The kinds of PII replaced in it, sorted."""
    guess: LanguageGuess
    """The language of the redacted text."""


def redact_then_identify(
    texts: Sequence[str], redactor: PiiRedactor, identifier: LanguageIdentifying
) -> list[RedactedGuess]:
    """Redact each text, then identify the language of the redacted text, in this process.

    What the child computes for :meth:`LanguageIdProcess.redact_and_identify`.
    """
    redactions = redactor.redact_many(texts)
    guesses = identifier.identify_many([redaction.text for redaction in redactions])
    return [
        RedactedGuess(
            redaction.text, tuple(sorted({str(span.kind) for span in redaction.spans})), guess
        )
        for redaction, guess in zip(redactions, guesses, strict=True)
    ]


_START_TIMEOUT_S = 120.0
"""How long the child may take to build its identifier (preloaded models: ~15 s on 2 cores)."""


def _serve(connection: Connection, config: dict[str, Any]) -> None:
    """The child: build the identifier, then answer each list of texts until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which closes the pipe
    try:
        identifier = LanguageIdentifier(**config)
    except Exception as error:  # sent to the parent, which raises it
        connection.send(("error", f"{type(error).__name__}: {error}"))
        return
    redactors: dict[str, PiiRedactor] = {}
    try:
        connection.send(("ready", None))
        while True:
            texts, redactor_config = connection.recv()
            try:
                if redactor_config is None:
                    guesses = identifier.identify_many(texts)
                    connection.send(("ok", [(g.lang, g.confidence) for g in guesses]))
                    continue
                redactor = redactors.get(redactor_config)
                if redactor is None:
                    redactor = PiiRedactor.from_config(json.loads(redactor_config))
                    redactors[redactor_config] = redactor
                redacted = redact_then_identify(texts, redactor, identifier)
            except InvalidInputError as error:
                connection.send(("invalid", str(error)))
                continue
            connection.send(("ok", [_redacted_answer(one) for one in redacted]))
    except (EOFError, OSError):  # the parent closed the pipe, or is gone
        return


def _redacted_answer(redacted: RedactedGuess) -> tuple[Any, ...]:
    """What goes back for one text: redacted form (``None``: no PII), kinds, guess."""
    text = redacted.text if redacted.pii_kinds else None
    return (text, redacted.pii_kinds, redacted.guess.lang, redacted.guess.confidence)


def _child_environment() -> dict[str, str]:
    """This environment, with the folder this process imported ``feedback_nlp`` from first.

    The child then runs the parent's code whatever its working directory or ``PYTHONPATH``
    would pick (``-P`` keeps the working directory off its ``sys.path``).
    """
    package_root = str(Path(feedback_nlp.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


class LanguageIdProcess:
    """A :class:`~feedback_nlp.text.langid.LanguageIdentifier` that runs in a child process.

    Args:
        config: Keyword arguments of the identifier (its :meth:`get_config`); the defaults
            when ``None``.

    Example:
        >>> with LanguageIdProcess() as identifier:
        ...     identifier.identify_many(["The delivery was late again and nobody called me."])
        [LanguageGuess(lang='en', confidence=...)]
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config: dict[str, Any] = dict(config or {})
        self._config_json = json.dumps(self.config)  # fails now if a value is not JSON
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._ready = False

    def __enter__(self) -> LanguageIdProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The child's process id (``None`` before it is started and after :meth:`close`)."""
        return None if self._process is None else self._process.pid

    def get_config(self) -> dict[str, Any]:
        """The keyword arguments of the identifier the child runs."""
        return dict(self.config)

    def start(self, *, wait: bool = True) -> None:
        """Start the child now (else the first call does).

        Args:
            wait: Wait until its identifier is built; ``False`` returns at once (the first
                call then waits for what is left).

        Raises:
            InvalidInputError: The configuration is not a valid identifier's (``wait``).
            ModelLoadError: The child could not be started (``wait``).
        """
        with self._lock:
            if wait:
                self._ready_connection()
            elif self._process is None:
                self._launch()

    def identify(self, text: str) -> LanguageGuess:
        """Identify the language of one text."""
        return self.identify_many([text])[0]

    def identify_many(self, texts: Sequence[str]) -> list[LanguageGuess]:
        """What :meth:`LanguageIdentifier.identify_many` answers, computed in the child.

        Raises:
            InvalidInputError: A text is not a ``str``.
            ModelLoadError: The child died twice during this call.
        """
        if not texts:
            return []
        return [
            LanguageGuess(lang=lang, confidence=confidence)
            for lang, confidence in self._call(list(texts), None)
        ]

    def redact_and_identify(
        self, texts: Sequence[str], redactor: PiiRedactor
    ) -> list[RedactedGuess]:
        """Redact each text as ``redactor`` would, then identify the language of the result.

        Both run in the child. Equal to ``redactor.redact_many`` followed by
        :meth:`identify_many` on the redacted texts.

        Returns:
            One ``(redacted text, PII kinds found, guess)`` per text, in order; the kinds
            sorted, as :func:`~feedback_nlp.ingest.prepare.prepare_items` stores them.

        Raises:
            InvalidInputError: A text is not a ``str``.
            ModelLoadError: The child died twice during this call.
        """
        if not texts:
            return []
        batch = list(texts)
        answer = self._call(batch, json.dumps(redactor.get_config(), sort_keys=True))
        return [
            RedactedGuess(
                text if redacted is None else redacted,
                tuple(kinds),
                LanguageGuess(lang=lang, confidence=confidence),
            )
            for text, (redacted, kinds, lang, confidence) in zip(batch, answer, strict=True)
        ]

    def close(self) -> None:
        """Stop the child (a later call starts a new one)."""
        with self._lock:
            self._stop()

    def _call(self, texts: list[str], redactor_config: str | None) -> list[Any]:
        """The child's answer to one request (started again once if it died)."""
        with self._lock:
            try:
                answer = self._ask(texts, redactor_config)
            except (EOFError, OSError):
                self._stop()
                try:
                    answer = self._ask(texts, redactor_config)
                except (EOFError, OSError) as error:
                    self._stop()
                    raise ModelLoadError(
                        f"The language identification process stopped twice ({error!r}); "
                        "check the machine's memory and the server log."
                    ) from None
        status, payload = answer
        if status == "invalid":
            raise InvalidInputError(str(payload))
        return list(payload)

    def _ask(self, texts: list[str], redactor_config: str | None) -> tuple[str, Any]:
        connection = self._ready_connection()
        connection.send((texts, redactor_config))
        answer: tuple[str, Any] = connection.recv()
        return answer

    def _launch(self) -> tuple[subprocess.Popen[bytes], Connection]:
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-P", "-m", __name__, str(theirs.fileno()), self._config_json],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=_child_environment(),
            )
        connection = Connection(ours.detach())
        self._process, self._connection, self._ready = process, connection, False
        return process, connection

    def _ready_connection(self) -> Connection:
        """The pipe of a live child whose identifier is built (launched, or relaunched, here)."""
        if self._process is not None and self._process.poll() is not None and self._ready:
            self._stop()  # died since its last answer: start a new one
        if self._process is None or self._connection is None:
            process, connection = self._launch()
        else:
            process, connection = self._process, self._connection
        if self._ready:
            return connection
        if not connection.poll(_START_TIMEOUT_S):
            self._stop()
            raise ModelLoadError(
                f"The language identification process did not start within {_START_TIMEOUT_S} s."
            )
        try:
            status, message = connection.recv()
        except (EOFError, OSError):
            self._stop()
            raise ModelLoadError(
                "The language identification process exited while starting "
                f"(exit code {process.poll()})."
            ) from None
        if status == "error":
            self._stop()
            raise InvalidInputError(f"LanguageIdentifier could not be built: {message}")
        self._ready = True
        return connection

    def _stop(self) -> None:
        connection, process = self._connection, self._process
        self._connection = self._process = None
        self._ready = False
        if connection is not None:
            connection.close()  # the child reads EOF and exits
        if process is not None:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])), json.loads(sys.argv[2]))
