"""Rule validation: kinds, parameters written as data, webhook URLs (E150, E151)."""

from __future__ import annotations

import pytest

from feedback_nlp.alerts.rules import check_name, check_rule, check_webhook_url
from feedback_nlp.errors import AlertRuleError, WebhookUrlError


def test_check_rule_fills_in_the_defaults() -> None:
    assert check_rule("theme_spike", {"z": 4}) == {
        "z": 4.0,
        "period": "week",
        "min_count": 5,
        "window": 4,
        "fdr": 0.05,
    }
    assert check_rule("segment_nps_drop", {"segment": " plan : pro ", "drop": 15}) == {
        "segment": "plan:pro",
        "drop": 15.0,
        "period": "week",
        "min_responses": 20,
    }


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("theme_jump", {}, "The rule kind must be one of"),
        (
            "theme_spike",
            {"z": 0},
            "'z' parameter of a theme_spike rule must be a number in (0, 50]",
        ),
        ("theme_spike", {"z": True}, "must be a number"),
        ("theme_spike", {"z": float("nan")}, "must be a number"),
        ("theme_spike", {"period": "year"}, "one of ['day', 'week', 'month']"),
        ("theme_spike", {"zz": 3}, "has no parameter 'zz'"),
        ("emerging_group", {"min_items": 2.5}, "must be an int in [1, 1000000]"),
        ("emerging_group", {"min_items": 0}, "must be an int in [1, 1000000]"),
        ("segment_nps_drop", {}, "needs the parameter 'segment'"),
        ("segment_nps_drop", {"segment": "plan"}, "'key:value' segment"),
        ("segment_nps_drop", {"segment": "plan:pro", "drop": -5}, "(0, 200]"),
    ],
)
def test_check_rule_refuses_bad_parameters(kind: str, params: dict, message: str) -> None:
    with pytest.raises(AlertRuleError, match="E150") as raised:
        check_rule(kind, params)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "hooks.example.com/x",
        "http://",
        "https://exa mple.com/",
        "http://example.com:notaport/",
        "",
    ],
)
def test_check_webhook_url_refuses_what_is_not_http(url: str) -> None:
    with pytest.raises(WebhookUrlError, match=r"\[E151\]"):
        check_webhook_url(url)


def test_check_webhook_url_does_not_echo_credentials() -> None:
    with pytest.raises(WebhookUrlError) as raised:
        check_webhook_url("https://bob:hunter2@hooks.example.com/x")
    assert "hunter2" not in str(raised.value)


def test_check_webhook_url_accepts_http_and_https() -> None:
    assert (
        check_webhook_url(" https://hooks.example.com/a?b=1 ") == "https://hooks.example.com/a?b=1"
    )
    assert check_webhook_url("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"


def test_check_name_refuses_blank() -> None:
    with pytest.raises(AlertRuleError, match="rule name"):
        check_name("   ")


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("emerging_group", {"min_items": 10**400}),  # too large for a float
        ("segment_nps_drop", {"segment": "plan:p\x00ro"}),
        ("segment_nps_drop", {"segment": "plan:\ud800"}),  # a lone surrogate
        ("theme_spike", {"theme_id": "t\x07"}),
    ],
)
def test_check_rule_refuses_unstorable_values(kind: str, params: dict) -> None:
    with pytest.raises(AlertRuleError, match="E150"):
        check_rule(kind, params)


@pytest.mark.parametrize("text", ["spikes\x00", "\ud83d", "tab\there"])
def test_check_name_and_url_refuse_control_characters(text: str) -> None:
    with pytest.raises(AlertRuleError):
        check_name(text)
    with pytest.raises(WebhookUrlError):
        check_webhook_url(f"https://hooks.example.com/{text}")
