"""Tests of language identification in a child process: same answers, and it survives its child."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.text.langid import LanguageGuess, LanguageIdentifier
from feedback_nlp.text.langid_process import LanguageIdProcess
from feedback_nlp.text.pii import PiiRedactor

TEXTS = [
    "The delivery was two days late and nobody answered the phone.",
    "وصل الطلب متأخرا يومين ولم يرد أحد على الهاتف.",
    "המשלוח הגיע באיחור של יומיים ואף אחד לא ענה לטלפון.",
    "سفارش دو روز دیر رسید و هیچ‌کس تلفن را جواب نداد.",
    "Siuntinys vėlavo dvi dienas ir niekas neatsiliepė telefonu.",
    "La livraison est arrivée avec deux jours de retard et personne n'a répondu.",
    "Die Lieferung kam zwei Tage zu spät und niemand ging ans Telefon.",
    "ok",
    "",
    "12345 !!!",
    "Write to me at jane.doe@example.com or https://example.com/help please soon",
]


@pytest.fixture(scope="module")
def process() -> Iterator[LanguageIdProcess]:
    with LanguageIdProcess() as identifier:
        yield identifier


def _same(got: Sequence[LanguageGuess], expected: Sequence[LanguageGuess]) -> bool:
    """Same languages; confidences equal but for lingua's summation order (last bits)."""
    return [g.lang for g in got] == [g.lang for g in expected] and all(
        g.confidence == pytest.approx(e.confidence, abs=1e-12)
        for g, e in zip(got, expected, strict=True)
    )


def _child_pid(identifier: LanguageIdProcess) -> int:
    assert identifier.pid is not None
    return identifier.pid


def test_langid_process_answers_what_the_identifier_answers(process: LanguageIdProcess) -> None:
    config = {"min_words": 3, "long_text_chars": None}
    with LanguageIdProcess(config) as configured:
        assert _same(
            configured.identify_many(TEXTS), LanguageIdentifier(**config).identify_many(TEXTS)
        )
        assert configured.get_config() == config
    assert _same(process.identify_many(TEXTS), LanguageIdentifier().identify_many(TEXTS))
    assert process.identify(TEXTS[0]).lang == "en"
    assert process.identify_many([]) == []


def test_langid_process_redacts_then_identifies_as_this_process_would(
    process: LanguageIdProcess,
) -> None:
    texts = [
        *TEXTS,
        "Call me on +44 20 7946 0958 or write to dana@example.com, my card 4111 1111 1111 1111.",
        "اتصل بي على ٠٥٠١٢٣٤٥٦٧ من فضلك",
    ]
    for redactor in (PiiRedactor(), PiiRedactor(kinds=["email"])):
        got = process.redact_and_identify(texts, redactor)
        redactions = redactor.redact_many(texts)
        assert [g.text for g in got] == [r.text for r in redactions]
        assert [g.pii_kinds for g in got] == [
            tuple(sorted({str(span.kind) for span in r.spans})) for r in redactions
        ]
        expected = LanguageIdentifier().identify_many([r.text for r in redactions])
        assert _same([g.guess for g in got], expected)
    only_email = process.redact_and_identify(texts[-2:-1], PiiRedactor(kinds=["email"]))[0]
    assert only_email.pii_kinds == ("email",)
    assert "+44 20 7946 0958" in only_email.text  # the child used the caller's kinds
    assert process.redact_and_identify([], PiiRedactor()) == []
    with pytest.raises(InvalidInputError, match="str"):
        process.redact_and_identify(["fine", 42], PiiRedactor())  # type: ignore[list-item]


def test_langid_process_rejects_a_text_that_is_not_a_string(process: LanguageIdProcess) -> None:
    with pytest.raises(InvalidInputError, match="must be a str"):
        process.identify_many(["fine text here", 42])  # type: ignore[list-item]
    assert process.identify_many(TEXTS[:1])[0].lang == "en"  # the child is still serving


def test_langid_process_rejects_a_bad_configuration() -> None:
    with (
        LanguageIdProcess({"languages": ["en", "xx"]}) as broken,
        pytest.raises(InvalidInputError, match="could not be built"),
    ):
        broken.identify_many(TEXTS)


def test_langid_process_starts_a_new_child_when_its_child_was_killed(
    process: LanguageIdProcess,
) -> None:
    first = _child_pid(process)
    os.kill(first, signal.SIGKILL)
    assert _same(process.identify_many(TEXTS), LanguageIdentifier().identify_many(TEXTS))
    assert _child_pid(process) != first


def test_langid_process_serves_concurrent_callers_in_order(process: LanguageIdProcess) -> None:
    expected = LanguageIdentifier().identify_many(TEXTS)
    answers: list[list[LanguageGuess]] = []

    def ask() -> None:
        answers.append(process.identify_many(TEXTS))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4
    assert all(_same(answer, expected) for answer in answers)


def test_langid_process_close_stops_the_child_and_a_later_call_restarts_it() -> None:
    identifier = LanguageIdProcess()
    identifier.start()
    child = _child_pid(identifier)
    identifier.close()
    assert identifier.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # gone, and reaped
    assert identifier.identify_many(TEXTS[:1])[0].lang == "en"
    identifier.close()


def test_langid_process_runs_the_parents_code_whatever_pythonpath_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shadow = tmp_path / "feedback_nlp"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('a shadowing copy was imported')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with LanguageIdProcess() as identifier:
        assert identifier.identify_many(TEXTS[:1])[0].lang == "en"
