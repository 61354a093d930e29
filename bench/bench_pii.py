"""PII redaction throughput on realistic multilingual feedback.

Builds 10,000 feedback items deterministically (seed 2026): sentences in en, ar, he, fa and lt,
with emoji, prices, dates and order numbers, about a third of them carrying PII (phone numbers in
the local formats and digits, e-mail addresses, cards, IBANs, IPs, token URLs, @handles), and
some wrapped in bidi marks. Times :func:`feedback_nlp.text.pii.redact_many` over all of them
(best of three runs, after one warm-up) and appends the result to ``bench/RESULTS.md``.

Usage::

    python bench/bench_pii.py            # print and append to bench/RESULTS.md
    python bench/bench_pii.py --no-write # print only
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from collections import Counter

from _common import RESULTS, append_section, machine

from feedback_nlp.text.pii import redact_many

TARGET_ITEMS_PER_S = 2_000
SEED = 2026
N_ITEMS = 10_000

SENTENCES = {
    "en": [
        "The delivery was late again and nobody from support answered my emails 😡",
        "Great food, but the app crashes every time I try to pay with my card.",
        "I paid $49.99 for order 12345 on 12/05/2026 and it took 3 days to arrive.",
        "Customer service was friendly, the refund came within 24 hours 👍",
        "Prices went up 15% since 2025, not happy about that.",
    ],
    "ar": [
        "التوصيل كان متأخرا جدا وخدمة العملاء لم ترد على رسائلي 😡",
        "الطعام ممتاز لكن التطبيق يتعطل كل مرة أحاول الدفع.",
        "دفعت ٤٩٫٩٩ ريال للطلب رقم ١٢٣٤٥ ووصل بعد ٣ أيام.",
        "شكرا على الخدمة السريعة، وصل الطلب في الموعد 👍",
    ],
    "he": [
        "המשלוח הגיע באיחור ושירות הלקוחות לא ענה לי 😡",
        "האוכל מצוין אבל האפליקציה קורסת בכל פעם שאני מנסה לשלם.",
        "שילמתי 49.90 ₪ על הזמנה 12345 ב-12.05.2026 וזה לקח 3 ימים.",
        "תודה על השירות המהיר, ההזמנה הגיעה בזמן 👍",
    ],
    "fa": [
        "سفارش خیلی دیر رسید و پشتیبانی هیچ\u200cوقت جواب نداد 😡",
        "کیفیت غذا خوب بود ولی برنامه موقع پرداخت مدام بسته می\u200cشود.",
        "برای سفارش ۱۲۳۴۵ مبلغ ۴۹۰٬۰۰۰ تومان پرداخت کردم و ۳ روز طول کشید.",
        "ممنون از پشتیبانی، بسته\u200cبندی عالی بود 👍",
    ],
    "lt": [
        "Pristatymas vėl vėlavo, o klientų aptarnavimas neatsakė į laiškus 😡",
        "Maistas puikus, bet programėlė užstringa kiekvieną kartą mokant.",
        "Sumokėjau 49,99 € už užsakymą Nr. 12345, pristatymas užtruko 3 dienas.",
        "Ačiū už greitą aptarnavimą, viskas atvyko laiku 👍",
    ],
}
LEAD_INS = {
    "en": "Call me at {}",
    "ar": "تواصلوا معي على {}",
    "he": "אפשר לפנות אליי: {}",
    "fa": "لطفاً با {} تماس بگیرید",
    "lt": "Susisiekite: {}",
}
DIGITS = {"latin": "0123456789", "arabic": "٠١٢٣٤٥٦٧٨٩", "persian": "۰۱۲۳۴۵۶۷۸۹"}
PHONES = {
    "en": ["+1 (415) 555-{d4}", "+44 7700 9{d5}"],
    "ar": ["+966 5{d1} {d3} {d4}", "+971 5{d1} {d3} {d4}", "05{d8}", "+20 1{d1} {d4} {d4}"],
    "he": ["05{d1}-{d3}-{d4}", "+972 5{d1}-{d3}-{d4}"],
    "fa": ["09{d2} {d3} {d4}", "+98 9{d2} {d3} {d4}"],
    "lt": ["+370 6{d2} {d5}", "8 6{d2} {d5}"],
}
SCRIPT_BY_LANG = {"ar": "arabic", "fa": "persian"}


def digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def luhn_card(rng: random.Random) -> str:
    payload = rng.choice(["4", "55", "6037", "6104", "2221"])
    payload += digits(rng, 15 - len(payload))
    total = 0
    for index, char in enumerate(reversed(payload)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    number = payload + str((10 - total % 10) % 10)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def iban(rng: random.Random) -> str:
    country, length = rng.choice([("DE", 18), ("LT", 16), ("IL", 19), ("SA", 20), ("IR", 22)])
    bban = digits(rng, length)
    check = 98 - int("".join(str(int(c, 36)) for c in bban + country + "00")) % 97
    value = f"{country}{check:02d}{bban}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def pii_value(rng: random.Random, lang: str) -> tuple[str, str]:
    kind = rng.choices(
        ["phone", "email", "card", "iban", "ip", "url", "handle"], [5, 3, 1, 1, 1, 1, 2]
    )[0]
    return kind, pii_text(rng, lang, kind)


def pii_text(rng: random.Random, lang: str, kind: str) -> str:
    if kind == "phone":
        value = rng.choice(PHONES[lang]).format(
            d1=digits(rng, 1), d2=digits(rng, 2), d3=digits(rng, 3), d4=digits(rng, 4),
            d5=digits(rng, 5), d8=digits(rng, 8),
        )  # fmt: skip
        script = SCRIPT_BY_LANG.get(lang, "latin") if rng.random() < 0.7 else "latin"
        return value.translate(str.maketrans("0123456789", DIGITS[script]))
    if kind == "email":
        return f"user{rng.randrange(10_000)}@example.{rng.choice(['com', 'co.il', 'lt', 'ir'])}"
    if kind == "card":
        return luhn_card(rng)
    if kind == "iban":
        return iban(rng)
    if kind == "ip":
        return ".".join(str(rng.randrange(256)) for _ in range(4))
    if kind == "url":
        return f"https://shop.example.com/reset?token={digits(rng, 12)}abc"
    return f"@user_{rng.randrange(10_000)}"


def build_items(n: int, seed: int) -> tuple[list[str], Counter[str], Counter[str]]:
    rng = random.Random(seed)
    items: list[str] = []
    langs: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    for _ in range(n):
        lang = rng.choice(list(SENTENCES))
        langs[lang] += 1
        parts = rng.sample(SENTENCES[lang], k=rng.randint(1, 3))
        if rng.random() < 0.35:
            kind, value = pii_value(rng, lang)
            planted[kind] += 1
            if lang in ("ar", "he", "fa") and rng.random() < 0.3:
                value = f"\u200e{value}\u200e"
            parts.insert(rng.randrange(len(parts) + 1), LEAD_INS[lang].format(value))
        items.append(" ".join(parts))
    return items, langs, planted


def counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {value:,}" for key, value in counter.most_common())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    items, langs, planted = build_items(N_ITEMS, SEED)
    redact_many(items[:500])  # warm-up
    load = os.getloadavg()[0]
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        redactions = redact_many(items)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    found = Counter(span.kind.value for redaction in redactions for span in redaction.spans)
    mean_chars = sum(map(len, items)) / len(items)

    lines = [
        f"{len(items):,} items (seed {SEED}; {counts(langs)}; mean {mean_chars:.0f} characters);"
        f" PII planted in {planted.total():,} ({counts(planted)}), found {found.total():,}"
        f" ({counts(found)}); 1-minute load average at start {load:.1f}",
        "",
        f"Target: >= {TARGET_ITEMS_PER_S:,} items/s.",
        "",
        f"Result: **{len(items) / best:,.0f} items/s** ({best * 1e6 / len(items):.0f} µs per item;"
        f" runs {', '.join(f'{t:.2f} s' for t in timings)}, best of 3)",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_results(lines)


def write_results(lines: list[str]) -> None:
    append_section(
        f"PII redaction — {dt.date.today().isoformat()}",
        [f"machine: {machine()}", "", "command: `python bench/bench_pii.py`", "", *lines],
    )
    print(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
