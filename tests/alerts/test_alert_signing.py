"""The signature header: HMAC-SHA256 of the exact body."""

from __future__ import annotations

from feedback_nlp.alerts.signing import sign, verify_signature


def test_sign_matches_the_rfc_4231_vector() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert sign("Jefe", b"what do ya want for nothing?") == f"sha256={expected}"


def test_verify_signature_accepts_only_the_same_body_and_secret() -> None:
    body = b'{"event":"alert.fired","firing":{"message":"NPS fell"}}'
    header = sign("s3cret-s3cret-s3cret", body)
    assert verify_signature("s3cret-s3cret-s3cret", body, header)
    assert not verify_signature("s3cret-s3cret-s3cret", body + b" ", header)
    assert not verify_signature("another-secret-xxxx", body, header)
    assert not verify_signature("s3cret-s3cret-s3cret", body, header.removeprefix("sha256="))
    assert not verify_signature("s3cret-s3cret-s3cret", body, None)
