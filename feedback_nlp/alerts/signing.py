"""Webhook signatures: HMAC-SHA256 of the exact body bytes, keyed by the rule's secret.

Every delivery carries ``X-FeedbackNLP-Signature: sha256=<hex>``; a receiver recomputes the HMAC
of the raw body it read (before parsing it) with the secret it was given when the rule was made,
and compares in constant time (:func:`verify_signature` is that check, for Python receivers).
``X-FeedbackNLP-Delivery`` names the delivery: a retry sends the same id and the same bytes, so
a receiver that answered but whose answer was lost can drop the repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "new_secret",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-FeedbackNLP-Signature"
DELIVERY_HEADER = "X-FeedbackNLP-Delivery"
EVENT_HEADER = "X-FeedbackNLP-Event"
_PREFIX = "sha256="


def new_secret() -> str:
    """A fresh signing secret (32 random bytes, URL-safe text)."""
    return secrets.token_urlsafe(32)


def sign(secret: str, body: bytes) -> str:
    """The signature header value of ``body``: ``sha256=`` + the hex HMAC-SHA256."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (constant-time compare)."""
    if not header or not header.startswith(_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())
