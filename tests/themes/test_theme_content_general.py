from __future__ import annotations

import numpy as np

from feedback_nlp.themes.content import content_text
from feedback_nlp.themes.general import general_themes
from feedback_nlp.themes.label import KeyphraseLabeler


def test_content_drops_placeholders_urls_handles_and_numbers() -> None:
    assert content_text("My number is [PHONE] if you need it.") == "My number is if you need it."
    assert content_text("@united hold https://t.co/x1 for 2 hours") == "hold for hours"
    assert content_text("2FA codes #fail on 4G") == "2FA codes fail on 4G"


def test_labels_never_show_placeholders_or_numbers() -> None:
    texts = ["call me on [PHONE] about the refund 123", "refund on [EMAIL] 55 please"] * 3
    result = KeyphraseLabeler().label(texts, ["en"] * 6, np.zeros(6, np.int64), 1)
    shown = result[0].label["en"] + " ".join(result[0].keyphrases["en"])
    assert "phone" not in shown
    assert "email" not in shown
    assert not any(c.isdigit() for c in shown)
    assert "refund" in shown


def test_satellite_themes_are_general_and_whole_items_are_not() -> None:
    rng = np.random.default_rng(0)
    topics = rng.normal(size=(3, 16))
    vectors, labels, items = [], [], []
    for item in range(300):
        topic = item % 2
        vectors.append(topics[topic] + 0.1 * rng.normal(size=16))
        labels.append(topic)
        items.append(item)
        if item % 3:  # a closing sentence accompanies two items in three, never alone
            vectors.append(topics[2] + 0.1 * rng.normal(size=16))
            labels.append(2)
            items.append(item)
    centred = np.asarray(vectors, dtype=np.float32)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    flags = general_themes(centred, np.asarray(labels), 3, items)
    assert flags.tolist() == [False, False, True]
    assert not general_themes(centred, np.asarray(labels), 3, None).any()
    assert not general_themes(centred, np.asarray(labels), 3, list(range(len(labels)))).any()
