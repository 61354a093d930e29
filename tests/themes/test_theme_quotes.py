from __future__ import annotations

import numpy as np
from synthetic_themes import sphere_blobs

from feedback_nlp.themes.quotes import representative_quotes


def test_quotes_are_members_and_start_with_the_most_central() -> None:
    vectors, _, centres = sphere_blobs(n_blobs=1, per_blob=30, seed=0)
    picked = representative_quotes(vectors, centres[0], n_quotes=5)
    assert len(picked) == 5
    assert set(picked.tolist()) <= set(range(30))
    assert picked[0] == int(np.argmax(vectors @ centres[0]))


def test_quotes_are_diverse() -> None:
    vectors, _, centres = sphere_blobs(n_blobs=1, per_blob=30, seed=1)
    # Five near-copies of the most central unit: MMR must not pick them all.
    central = vectors[int(np.argmax(vectors @ centres[0]))]
    copies = np.repeat(central[None], 5, axis=0) + 1e-4
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    pool = np.vstack([copies, vectors]).astype(np.float32)
    picked = representative_quotes(pool, centres[0], n_quotes=4, diversity=0.5)
    assert sum(int(i) < 5 for i in picked) <= 1


def test_quotes_skip_repeated_texts() -> None:
    vectors, _, centres = sphere_blobs(n_blobs=1, per_blob=6, seed=2)
    texts = ["Card late", "card  LATE", "card late", "pin blocked", "refund", "fee"]
    picked = representative_quotes(vectors, centres[0], texts=texts, n_quotes=5, diversity=0.0)
    folded = [" ".join(texts[i].casefold().split()) for i in picked]
    assert len(folded) == len(set(folded)) == 4


def test_quotes_of_an_empty_theme_are_empty() -> None:
    assert representative_quotes(np.empty((0, 4), np.float32), np.ones(4) / 2).size == 0
