"""No PII in logs, rejects files, the database or job errors, with logging at DEBUG.

Real e-mail addresses, phone numbers (Persian and Arabic-Indic digits too), card numbers, IBANs,
IP addresses, token URLs and @handles, in five languages (the cases of tests/text/test_pii.py),
go through a real ``feedback-nlp serve`` (log level debug) and through ``feedback-nlp ingest``
(root logger at DEBUG): in feedback text and segment values, in fields that fail validation (so
that the row error quotes them), as an unknown field's name, in malformed JSON, in query strings
and paths, then through a mining job that succeeds and one that fails. Afterwards none of the
planted strings, in any spelling a log could use (as sent, JSON-escaped, URL-encoded, digits
folded to ASCII), may appear in the server's output, the CLI's output, the rejects file, the
answers to the bad requests, or anywhere in the database files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from feedback_nlp.demo import read_demo_items
from feedback_nlp.text.pii import PiiKind
from tests.api.api_support import REPO_ROOT, cli_create_key, running_server, server_env
from tests.api.api_support import wait_for_job as wait_for
from tests.text.test_pii import PII, SENTENCES

pytestmark = pytest.mark.slow

DEBUG_CLI = [  # every logger at DEBUG, SQLAlchemy's statements and their parameters included
    sys.executable,
    "-c",
    "import logging; logging.basicConfig(level=logging.DEBUG); "
    "logging.getLogger('sqlalchemy.engine').setLevel(logging.DEBUG); "
    "from feedback_nlp.cli import main; main()",
]
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
PLANTED = [value for by_kind in PII.values() for value in by_kind.values()]


def spellings(value: str) -> set[str]:
    """Every way a log line or a stored row could spell ``value``."""
    return {
        value,
        json.dumps(value)[1:-1],  # ensure_ascii escapes (\\u06f0...)
        quote(value, safe=""),
        quote_plus(value),
        value.translate(_DIGITS),
    }


def leaks(text: str) -> list[str]:
    """The planted values found in ``text``."""
    return [value for value in PLANTED if any(s in text for s in spellings(value))]


def database_leaks(database: Path) -> list[str]:
    """The planted values found in the raw bytes of the SQLite files (free pages included)."""
    raw = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    return leaks(raw.decode("utf-8", errors="replace"))


def planted_items() -> list[dict[str, object]]:
    """One item per (language, PII kind): the PII in the text and in a segment value."""
    return [
        {
            "id": f"pii-{lang}-{kind.value}",
            "text": SENTENCES[lang].format(pii=value),
            "nps": 3,
            "segments": {"contact": value, "plan": "pro"},
        }
        for lang, by_kind in PII.items()
        for kind, value in by_kind.items()
    ]


def bad_requests(client: httpx.Client) -> list[httpx.Response]:
    """Requests that fail validation with PII in the failing values."""
    email, phone = PII["en"][PiiKind.EMAIL], PII["fa"][PiiKind.PHONE]
    bad_item = {
        "id": "bad-1",
        "text": "ok",
        "nps": email,  # the row error quotes the value it got
        "created_at": phone,
        "source": PII["he"][PiiKind.IBAN],
        "segments": {"contact": ["a list", email]},
        PII["ar"][PiiKind.EMAIL]: 1,  # an unknown field named by PII
    }
    return [
        client.post("/v1/feedback", json={"items": [bad_item]}),
        client.post("/v1/jobs", json={"seed": email, "filters": {"source": phone}}),
        client.post(
            "/v1/feedback",
            content=f'{{"items": [{{"id": "x", "text": "{email}"'.encode(),  # broken JSON
            headers={"content-type": "application/json"},
        ),
        client.get("/v1/feedback", params={"segment": f"contact:{email}", "cursor": phone}),
        client.get(f"/v1/themes/{quote(PII['lt'][PiiKind.EMAIL], safe='')}"),
        client.get("/v1/jobs/" + quote(PII["en"][PiiKind.CARD], safe="")),
    ]


def test_no_planted_pii_reaches_logs_rejects_database_or_job_errors(tmp_path: Path) -> None:
    database = tmp_path / "feedback.sqlite3"
    env = server_env(
        f"sqlite:///{database}",
        tmp_path / "var",
        FEEDBACK_NLP_API__LOG_LEVEL="debug",
        FEEDBACK_NLP_MODELS__EMBEDDER="e5-small-static",
    )
    key = cli_create_key(env, "pii")
    log = tmp_path / "server.log"
    items = planted_items() + read_demo_items()[:80]
    with running_server(env, log) as server, server.client(key) as client:
        stored = client.post("/v1/feedback", json={"items": items})
        assert stored.status_code == 200, stored.text
        assert stored.json()["created"] == len(items)
        answers = bad_requests(client)
        assert [a.status_code for a in answers] == [200, 422, 422, 422, 404, 404]
        assert answers[0].json()["rejected"] == 1
        assert len(answers[0].json()["errors"]) == 5
        mined = client.post("/v1/jobs", json={"n_resamples": 0})
        assert wait_for(client, mined.json()["id"], timeout=600)["state"] == "succeeded"
        empty = client.post("/v1/jobs", json={"filters": {"segments": {"plan": "none-such"}}})
        failed = wait_for(client, empty.json()["id"], timeout=120)
        assert failed["state"] == "failed"
        assert "No feedback matches" in failed["error"]
        listed = client.get("/v1/feedback", params={"limit": 1000}).text
        themes = client.get("/v1/themes").text
    server_log = log.read_text(encoding="utf-8")
    assert "GET /v1/themes/[EMAIL]" in server_log  # the access log ran, with the path redacted
    assert "[PHONE]" in server_log  # the query string of the bad listing, redacted
    assert leaks(server_log) == [], server_log[-3000:]
    assert leaks("\n".join(a.text for a in answers)) == []
    assert leaks(listed + themes + json.dumps(failed)) == []
    assert "[EMAIL]" in listed  # texts and segment values are stored redacted

    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id,text,nps,contact\n"
        f'c-1,"{SENTENCES["fa"].format(pii=PII["fa"][PiiKind.CARD])}",2,{PII["fa"][PiiKind.PHONE]}\n'
        f'c-2,"{SENTENCES["he"].format(pii=PII["he"][PiiKind.PHONE])}",9,{PII["he"][PiiKind.EMAIL]}\n'
        f"c-3,rejected row,{PII['lt'][PiiKind.IBAN]},x\n"
        f"c-4,too,many,fields,{PII['ar'][PiiKind.IP]}\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rows.rejects.jsonl"
    cli_database = tmp_path / "cli.sqlite3"
    done = subprocess.run(
        [
            *(*DEBUG_CLI, "ingest", str(rows), "--workspace", "cli-pii"),
            *("--segment-cols", "contact", "--rejects", str(rejects), "--json"),
        ],
        env=env | {"FEEDBACK_NLP_DATABASE__URL": f"sqlite:///{cli_database}"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["rejected"]) == (2, 2)
    assert "DEBUG:alembic" in done.stderr  # the loggers really were at DEBUG
    assert "INFO:sqlalchemy.engine.Engine:INSERT INTO feedback_items" in done.stderr
    assert leaks(done.stdout + done.stderr) == [], done.stderr[-3000:]
    rejected = rejects.read_text(encoding="utf-8")
    assert "[E104]" in rejected
    assert "[IBAN]" in rejected  # the row error quotes the value, redacted
    assert leaks(rejected) == []
    assert database_leaks(database) == []
    assert database_leaks(cli_database) == []
