"""Malformed and extreme input to ``POST /v1/feedback`` over real HTTP: per-row errors, never a 5xx.

The server is uvicorn in a thread of the test process (raw bytes go through its HTTP parser). Good
rows must be stored byte-identical to what was sent (every text here is one the PII redactor
leaves unchanged, which is checked); bad rows must come back as ``errors`` entries with their
index, field and a coded reason, next to the good rows of the same batch. Whole-body problems (bytes
that are not JSON) are a 4xx problem. The CLI readers' own malformed-file cases live in
``tests/ingest``; the lone-surrogate JSONL case, which crashed ``feedback-nlp ingest``, is here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from feedback_nlp.ingest.batch import IngestOptions, ingest_file
from feedback_nlp.ingest.mapping import ColumnMapping
from feedback_nlp.settings import LimitSettings
from feedback_nlp.store import open_store
from feedback_nlp.text.pii import PiiRedactor
from tests.api.api_support import bearer, fetch_all_ids
from tests.reliability.backends import (
    DbProbe,
    create_key,
    inprocess_server,
    reliability_settings,
)

pytestmark = pytest.mark.slow

MAX_TEXT_CHARS = LimitSettings().max_text_chars

# A sentence in each script (no digits, no PII), emoji sequences, bidi controls, astral planes.
SCRIPTS = {
    "arabic": "التطبيق يتوقف عن العمل كل مرة أحاول الدفع، وخدمة العملاء لا ترد أبداً.",
    "hebrew": "האפליקציה קורסת בכל פעם שאני מנסה לשלם, ושירות הלקוחות לא עונה בכלל.",
    "persian": "برنامه هر بار که می‌خواهم پرداخت کنم از کار می‌افتد و پشتیبانی جواب نمی‌دهد.",
    "lithuanian": "Programėlė užstringa kiekvieną kartą, kai bandau sumokėti; niekas neatsako.",
    "chinese": "每次付款时应用程序都会崩溃，客服也从不回复。",
    "japanese": "支払いをしようとするたびにアプリが落ちて、サポートからも返事がありません。",
    "korean": "결제하려고 할 때마다 앱이 멈추고 고객센터는 답이 없어요.",
    "devanagari": "हर बार भुगतान करने की कोशिश करने पर ऐप बंद हो जाता है और सहायता टीम जवाब नहीं देती।",
    "thai": "แอปค้างทุกครั้งที่พยายามชำระเงิน และฝ่ายบริการลูกค้าก็ไม่ตอบเลย",
    "greek": "Η εφαρμογή κολλάει κάθε φορά που προσπαθώ να πληρώσω.",
    "cyrillic": "Приложение вылетает каждый раз, когда я пытаюсь оплатить заказ.",
    "georgian": "აპლიკაცია ყოველ ჯერზე იჭედება, როცა გადახდას ვცდილობ.",
    "armenian": "Հավելվածը խափանվում է ամեն անգամ, երբ փորձում եմ վճարել։",
    "ethiopic": "መተግበሪያው ለመክፈል በሞከርኩ ቁጥር ይቋረጣል።",
    "tamil": "பணம் செலுத்த முயலும் ஒவ்வொரு முறையும் செயலி நின்றுவிடுகிறது.",
    "bengali": "প্রতিবার টাকা দিতে গেলে অ্যাপটি বন্ধ হয়ে যায়।",
    "khmer": "កម្មវិធីគាំងរាល់ពេលខ្ញុំព្យាយាមបង់ប្រាក់។",
    "tibetan": "ཉོ་ཚོང་བྱེད་སྐབས་ཉེར་སྤྱོད་འདི་འགག་གི་འདུག",
    "mongolian": "ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ ᠦᠰᠦᠭ",
    "vietnamese_nfd": "U\u031b\u0301ng du\u0323ng bi\u0323 treo mô\u0303i lâ\u0300n thanh "
    "toa\u0301n",
    "emoji_zwj": "Family plan \U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 broke "
    "again \U0001f3f3\ufe0f\u200d\U0001f308 \U0001f9d1\U0001f3fd\u200d\U0001f4bb 🇱🇹 🇮🇱 👍🏿",
    "bidi_marks": "\u202bהזמנה\u202c \u200fשלי\u200f arrived \u202eelpmaxe\u202c late "
    "\u2067عربي\u2069",
    "astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math text, Linear B 𐀀𐀁, cuneiform 𒀀𒀁, old italic 𐌀𐌁",
    "zero_width": "split\u200bwords\u200cand\u200djoiners\u2060here\ufeffinside",
    "variation_selectors": "snow ☃︎ vs ☃️ and text ✔︎ / emoji ✔️",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    work = tmp_path_factory.mktemp("malformed")
    url = f"sqlite:///{work / 'malformed.sqlite3'}"
    create_key(url, "setup")
    settings = reliability_settings(url, work / "var", worker=False)
    with inprocess_server(settings) as base:
        yield base, url


@pytest.fixture
def client(server: tuple[str, str]) -> Iterator[tuple[httpx.Client, str]]:
    """A client of a new, empty workspace, and the workspace's name."""
    base, url = server
    workspace = f"ws-{uuid.uuid4().hex[:10]}"
    key = create_key(url, workspace)
    with httpx.Client(base_url=base, headers=bearer(key), timeout=120) as http:
        yield http, workspace


def post_raw(http: httpx.Client, body: bytes) -> httpx.Response:
    return http.post("/v1/feedback", content=body, headers={"Content-Type": "application/json"})


def accepted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stored(server: tuple[str, str], workspace: str) -> dict[str, str]:
    probe = DbProbe(server[1])
    try:
        return {item_id: item.text for item_id, item in probe.items(workspace).items()}
    finally:
        probe.close()


def test_malformed_every_script_and_emoji_is_stored_byte_identical(
    server: tuple[str, str], client: tuple[httpx.Client, str]
) -> None:
    http, workspace = client
    redactions = PiiRedactor().redact_many(list(SCRIPTS.values()))
    assert [r.text for r in redactions] == list(SCRIPTS.values())  # nothing here is PII
    items = [
        {"id": f"{name}-🙂", "text": text, "segments": {name: text[:40], "שפה": "ערך"}}
        for name, text in SCRIPTS.items()
    ]
    body = accepted(http.post("/v1/feedback", json={"items": items}))
    assert (body["created"], body["rejected"]) == (len(SCRIPTS), 0)
    assert stored(server, workspace) == {f"{name}-🙂": text for name, text in SCRIPTS.items()}
    page = http.get("/v1/feedback", params={"limit": 1000}).raise_for_status().json()
    by_id = {item["id"]: item for item in page["items"]}
    for name, text in SCRIPTS.items():
        got = by_id[f"{name}-🙂"]
        assert got["text"].encode("utf-8") == text.encode("utf-8"), name
        assert got["segments"] == {name: text[:40], "שפה": "ערך"}, name
        assert got["truncated"] is False
    assert accepted(http.post("/v1/feedback", json={"items": items}))["unchanged"] == len(items)


def test_malformed_million_character_and_10_mb_texts_are_stored_truncated(
    server: tuple[str, str], client: tuple[httpx.Client, str]
) -> None:
    http, workspace = client
    million = "ė" * 1_000_000  # 2 MB of UTF-8
    ten_mb = "late delivery " * (10 * 1024 * 1024 // 14)
    items = [{"id": "million", "text": million}, {"id": "ten-mb", "text": ten_mb}]
    body = accepted(http.post("/v1/feedback", json={"items": items}))
    assert (body["created"], body["rejected"], body["errors"]) == (2, 0, [])
    texts = stored(server, workspace)
    assert texts["million"] == million[:MAX_TEXT_CHARS]
    assert texts["ten-mb"] == ten_mb.strip()[:MAX_TEXT_CHARS]
    page = http.get("/v1/feedback").raise_for_status().json()
    assert {item["id"]: item["truncated"] for item in page["items"]} == {
        "million": True,
        "ten-mb": True,
    }


# Each bad row sits between two good ones; (raw JSON of the row, field, code of the error).
BAD_ROWS = [
    (r'{"id": "nul", "text": "before\u0000after"}', "text", "E103"),
    (r'{"id": "lone", "text": "a lone \ud800 surrogate"}', "text", "E103"),
    (r'{"id": "low", "text": "a lone low \udfff surrogate"}', "text", "E103"),
    (r'{"id": "rev", "text": "reversed pair \udc00\ud800"}', "text", "E103"),
    (r'{"id": "x\ud83d", "text": "half an emoji in the id"}', "id", "E102"),
    (r'{"id": "seg-key", "text": "fine", "segments": {"k\udbff": "v"}}', "segments", "E109"),
    (r'{"id": "seg-val", "text": "fine", "segments": {"k": "v\ud800"}}', "segments", "E109"),
    (r'{"id": "when", "text": "fine", "created_at": "2024\ud800"}', "created_at", "E108"),
    (r'{"id": "src", "text": "fine", "source": "\ud800"}', "source", "E107"),
    (r'{"id": "field", "text": "fine", "\ud800": 1}', "\\ud800", "E110"),
    ('{"id": "nps-huge", "text": "fine", "nps": 1e308}', "nps", "E104"),
    ('{"id": "nps-int", "text": "fine", "nps": 1000000000000000000000000000000}', "nps", "E104"),
    ('{"id": "nps-neg", "text": "fine", "nps": -1e308}', "nps", "E104"),
    ('{"id": "nps-inf", "text": "fine", "nps": Infinity}', "nps", "E104"),
    ('{"id": "ces-big", "text": "fine", "ces": ' + "9" * 400 + "}", "ces", "E106"),
    ('{"id": "ces-nan", "text": "fine", "ces": NaN}', "ces", "E106"),
    ('{"id": "csat-big", "text": "fine", "csat": 1e400}', "csat", "E105"),
    ('{"id": "seg-int", "text": "fine", "segments": {"k": 1e400}}', "segments", "E109"),
    (
        '{"id": "seg-big", "text": "fine", "segments": {"k": 1000000000000000000000}}',
        "segments",
        "E109",
    ),
    ('{"id": "list", "text": ["not", "a", "string"]}', "text", "E103"),
    ('{"id": "obj", "text": {"nested": "object"}}', "text", "E103"),
    ('{"id": "num", "text": 12345}', "text", "E103"),
    ('{"id": "blank", "text": " \\n\\t "}', "text", "E103"),
    ('{"id": 42, "text": "id is a number"}', "id", "E102"),
    ('{"id": ["a"], "text": "id is a list"}', "id", "E102"),
    ('{"id": "' + "i" * 201 + '", "text": "id too long"}', "id", "E102"),
    ('{"id": "nested", "text": "fine", "segments": {"k": {"deep": ["x"]}}}', "segments", "E109"),
    ('{"id": "seg-list", "text": "fine", "segments": ["k", "v"]}', "segments", "E109"),
    ('{"id": "nps-str", "text": "fine", "nps": "9"}', "nps", "E104"),
    ('{"id": "nps-bool", "text": "fine", "nps": true}', "nps", "E104"),
    ('"just a string"', "row", "E101"),
    ("null", "row", "E101"),
    ("[1, 2, 3]", "row", "E101"),
]


@pytest.mark.parametrize(
    ("row", "field", "code"), BAD_ROWS, ids=[f"{n}-{f}" for n, (_, f, _c) in enumerate(BAD_ROWS)]
)
def test_malformed_bad_row_gets_a_per_row_error_and_good_rows_are_kept(
    server: tuple[str, str], client: tuple[httpx.Client, str], row: str, field: str, code: str
) -> None:
    http, workspace = client
    good = [json.dumps({"id": f"good-{n}", "text": SCRIPTS["hebrew"]}) for n in (0, 2)]
    raw = f'{{"items": [{good[0]}, {row}, {good[1]}]}}'.encode()
    body = accepted(post_raw(http, raw))
    assert (body["received"], body["created"], body["rejected"]) == (3, 2, 1), body
    (error,) = body["errors"]
    assert (error["index"], error["field"]) == (1, field), error
    assert error["reason"].startswith(f"[{code}] "), error
    assert "row 1" in error["reason"] or "Row 1" in error["reason"], error
    assert stored(server, workspace) == {"good-0": SCRIPTS["hebrew"], "good-2": SCRIPTS["hebrew"]}


@pytest.mark.parametrize(
    "body",
    [
        b'{"items": [{"id": "a", "text": "caf\xe9 latin-1 byte"}]}',  # invalid UTF-8
        b'{"items": [{"id": "a", "text": "bad escape \\x41"}]}',
        b'{"items": [{"id": "a", "text": "raw\x00nul"}]}',  # an unescaped control character
        b'{"items": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",  # nesting deeper than the parser
        b'{"items": [{"id": "a", "text": "t", "nps": ' + b"9" * 5000 + b"}]}",  # past int limits
        b'{"items": [{"id": "a", "text": "unterminated}]}',
        b"",
        b"\xef\xbb\xbf",  # a byte-order mark alone
    ],
    ids=["latin1", "bad-escape", "raw-nul", "deep", "5000-digits", "unterminated", "empty", "bom"],
)
def test_malformed_body_that_is_not_json_is_a_4xx_problem(
    client: tuple[httpx.Client, str], body: bytes
) -> None:
    http, _ = client
    response = post_raw(http, body)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == response.status_code
    assert fetch_all_ids(http) == []


def test_malformed_empty_and_all_bad_batches_store_nothing(
    server: tuple[str, str], client: tuple[httpx.Client, str]
) -> None:
    http, workspace = client
    assert accepted(http.post("/v1/feedback", json={"items": []})) == {
        "received": 0,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "superseded": 0,
        "rejected": 0,
        "errors": [],
    }
    bad = [{"id": "a"}, {"text": "no id"}, 7, {"id": "b", "text": "\x00"}]
    body = accepted(http.post("/v1/feedback", json={"items": bad}))
    assert (body["received"], body["created"], body["rejected"]) == (4, 0, 4)
    assert sorted(e["index"] for e in body["errors"]) == [0, 1, 2, 3]
    assert stored(server, workspace) == {}


def test_malformed_lone_surrogate_in_a_jsonl_file_is_rejected_and_good_rows_kept(
    tmp_path: Path,
) -> None:
    # Valid JSON whose string holds an unpaired surrogate escape: it used to crash the whole
    # chunk (UnicodeEncodeError while hashing the text) and lose the good rows around it.
    path = tmp_path / "in.jsonl"
    lines = [
        '{"id": "1", "text": "The refund never arrived."}',
        r'{"id": "2", "text": "lone \ud800 surrogate"}',
        r'{"id": "3", "text": "fine", "segments_plan": "x\udfff"}',
        '{"id": "4", "text": "Support answered within minutes."}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    store = open_store(url)
    try:
        summary = ingest_file(
            store,
            "files",
            path,
            ColumnMapping(segment_cols=("segments_plan",)),
            options=IngestOptions(),
        )
    finally:
        store.close()
    assert (summary.created, summary.rejected) == (2, 2)
    rejects = [json.loads(line) for line in summary.rejects_path.read_text("utf-8").splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [(2, "text"), (3, "segments")]
    assert all("\\ud800" in r["reason"] or "\\udfff" in r["reason"] for r in rejects)
    probe = DbProbe(url)
    try:
        assert {k: v.text for k, v in probe.items("files").items()} == {
            "1": "The refund never arrived.",
            "4": "Support answered within minutes.",
        }
    finally:
        probe.close()
