"""Embeddings and fine-tuned sentiment from one encoder pass, both kept in the vector cache.

A mining job needs each unit's vector and, with the fine-tuned sentiment model
(:mod:`feedback_nlp.sentiment.finetuned`), its class probabilities; the model branches off the
embedder's trunk, so both come from the same pass. :class:`CachedSentimentEncoder` keeps the
probabilities in the workspace's vector cache next to the vectors (three float32 numbers under a
key of the embedder's namespace, the model's name and its branch's sha256): a text is encoded
again only when either is missing, and a re-mine of unchanged feedback encodes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedback_nlp.embed.base import FloatMatrix
from feedback_nlp.embed.cache import CachedEmbedder, content_key
from feedback_nlp.sentiment.classifier import LABELS, FloatArray
from feedback_nlp.sentiment.finetuned import BranchingEmbedder, FineTunedSentiment

__all__ = ["CachedSentimentEncoder"]


class CachedSentimentEncoder:
    """Vectors and sentiment probabilities of texts, read from the cache or encoded together.

    Args:
        cached: The cached embedder; its ``embedder`` must branch (``encode_with_branch``), and
            its ``hits``/``misses`` count the texts read back and encoded here too.
        model: The fine-tuned sentiment model branching off that embedder.
    """

    def __init__(self, cached: CachedEmbedder, model: FineTunedSentiment) -> None:
        self.cached = cached
        self.model = model
        self.namespace = f"{cached.namespace}+{model.cache_namespace}"

    def encode(self, texts: Sequence[str]) -> tuple[FloatMatrix, FloatArray]:
        """The vectors (rows L2-normalised) and the ``(n, 3)`` probabilities of ``texts``."""
        cached = self.cached
        vector_keys = [content_key(cached.namespace, text) for text in texts]
        sentiment_keys = [content_key(self.namespace, text) for text in texts]
        vectors = cached.cache.get_many(list(dict.fromkeys(vector_keys)))
        probs = cached.cache.get_many(list(dict.fromkeys(sentiment_keys)))
        missing: dict[str, int] = {}  # text -> first row, for texts lacking either
        for row, (text, vkey, skey) in enumerate(
            zip(texts, vector_keys, sentiment_keys, strict=True)
        ):
            if (vkey not in vectors or skey not in probs) and text not in missing:
                missing[text] = row
        if missing:
            embedder: BranchingEmbedder = cached.embedder  # type: ignore[assignment]
            fresh_vectors, fresh_probs = self.model.encode_and_predict(embedder, list(missing))
            fresh_v = {
                vector_keys[row]: fresh_vectors[i].tobytes()
                for i, row in enumerate(missing.values())
            }
            fresh_p = {
                sentiment_keys[row]: np.asarray(fresh_probs[i], dtype=np.float32).tobytes()
                for i, row in enumerate(missing.values())
            }
            cached.cache.put_many(fresh_v | fresh_p)
            vectors.update(fresh_v)
            probs.update(fresh_p)
        cached.misses += len(missing)
        cached.hits += len(texts) - len(missing)
        out_vectors = np.empty((len(texts), cached.dim), dtype=np.float32)
        out_probs = np.empty((len(texts), len(LABELS)), dtype=np.float64)
        for row, (vkey, skey) in enumerate(zip(vector_keys, sentiment_keys, strict=True)):
            out_vectors[row] = np.frombuffer(vectors[vkey], dtype=np.float32)
            out_probs[row] = np.frombuffer(probs[skey], dtype=np.float32)
        return out_vectors, out_probs
