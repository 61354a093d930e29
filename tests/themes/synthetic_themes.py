"""Small synthetic inputs for the theme tests: Gaussian blobs on the unit sphere, tiny texts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]

# Five complaint topics in the five first-class languages (en, ar, he, fa, lt).
TOPIC_WORDS: dict[str, list[str]] = {
    "en": ["delivery late", "refund missing", "password reset", "battery drains", "rude staff"],
    "ar": ["التوصيل متأخر", "الاسترداد مفقود", "كلمة المرور", "البطارية تنفد", "الموظف وقح"],
    "he": ["המשלוח מאחר", "ההחזר חסר", "איפוס סיסמה", "הסוללה נגמרת", "צוות גס"],
    "fa": ["ارسال دیر", "بازپرداخت گم‌شده", "بازنشانی رمز", "باتری تمام‌شده", "کارمند بی‌ادب"],
    "lt": [
        "pristatymas vėluoja",
        "grąžinimas dingo",
        "slaptažodžio atkūrimas",
        "baterija senka",
        "grubus personalas",
    ],
}
FILLERS: dict[str, list[str]] = {
    "en": ["the", "my", "again", "today", "please", "very"],
    "ar": ["في", "من", "اليوم", "جدا", "مرة"],
    "he": ["של", "את", "היום", "שוב", "מאוד"],
    "fa": ["و", "در", "امروز", "دوباره", "خیلی"],
    "lt": ["ir", "mano", "šiandien", "vėl", "labai"],
}


def sphere_blobs(
    *,
    n_blobs: int = 5,
    per_blob: int = 40,
    dim: int = 32,
    noise: float = 0.5,
    seed: int = 0,
) -> tuple[FloatMatrix, npt.NDArray[np.int64], FloatMatrix]:
    """Return unit vectors around ``n_blobs`` random centres, their blob ids and the centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_blobs, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(n_blobs), per_blob)
    points = centres[labels] + noise * rng.normal(size=(labels.size, dim)) / np.sqrt(dim)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float32), labels.astype(np.int64), centres.astype(np.float32)


def topic_texts(labels: npt.NDArray[np.int64], langs: list[str], seed: int = 0) -> list[str]:
    """One short text per unit: its topic's words in its language, plus filler words."""
    rng = np.random.default_rng(seed)
    texts = []
    for label, lang in zip(labels.tolist(), langs, strict=True):
        fillers = FILLERS[lang]
        extra = " ".join(fillers[int(i)] for i in rng.choice(len(fillers), size=2, replace=False))
        texts.append(
            f"{extra} {TOPIC_WORDS[lang][label % 5]} {fillers[int(rng.integers(len(fillers)))]}"
        )
    return texts
