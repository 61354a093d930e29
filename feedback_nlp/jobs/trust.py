"""When a corpus is too small for its themes to be trusted, and what the service says then.

Measured with ``bench/small_corpus_themes.py`` on the demo corpus (1,500 items, five languages,
e5-small, default miner, seed 0; random samples of n items mined alone and compared with the
whole corpus' run on the same units; 3 samples per size, 2026-12-02):

=====  ======  ===========  ========  ==============================
items  units   themes       ARI mean  pure themes (worst sample)
=====  ======  ===========  ========  ==============================
9      19      1.3          0.00      0.00
25     55      4.7          0.08      0.00
50     108     11.0         0.23      0.00
100    215     18.3         0.36      0.17
200    428     31.3         0.48      0.42
400    878     46.3         0.68      0.67
800    1,745   61.0         0.72      0.78
=====  ======  ===========  ========  ==============================

(ARI: adjusted Rand index, 0 = chance, 1 = the same grouping; a theme is pure when 70 % of its
units share one theme of the whole corpus' run.) Below 50 items the grouping is no better than
chance: nine items came out as one "refund" theme holding SSO, delivery, crash and price
complaints. Below 200 items fewer than half of the themes are pure. So a run over fewer than
:data:`MIN_TRUSTED_ITEMS` items carries a warning (in the job result, the CLI and the
dashboard), a stronger one below :data:`MIN_MEANINGFUL_ITEMS`.
"""

from __future__ import annotations

__all__ = ["MIN_MEANINGFUL_ITEMS", "MIN_TRUSTED_ITEMS", "small_corpus_warning"]

MIN_TRUSTED_ITEMS = 200
MIN_MEANINGFUL_ITEMS = 50


def small_corpus_warning(n_items: int) -> str | None:
    """The warning of a run over ``n_items`` feedback items (``None`` from 200 items on).

    Args:
        n_items: Items the run mined (after its filters).

    Returns:
        One sentence with the count, what it means and what to do, or ``None``.
    """
    if n_items >= MIN_TRUSTED_ITEMS:
        return None
    if n_items < MIN_MEANINGFUL_ITEMS:
        return (
            f"Only {n_items} feedback items were mined: below {MIN_MEANINGFUL_ITEMS} items, "
            "themes group unrelated complaints together and cannot be trusted. Read the "
            f"feedback itself, or mine again with {MIN_TRUSTED_ITEMS} or more items."
        )
    return (
        f"Only {n_items} feedback items were mined: below {MIN_TRUSTED_ITEMS} items, themes are "
        "provisional (many mix complaints that more data would split). Check their quotes, "
        f"and mine again once there are {MIN_TRUSTED_ITEMS} or more items."
    )
