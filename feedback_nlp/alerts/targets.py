"""Which hosts webhooks may reach: public addresses, plus an operator's allow-list.

A webhook URL comes from a workspace key, so without a check the server would POST wherever a
key holder points it: its own loopback services, the cloud metadata address (169.254.169.254),
the private network (server-side request forgery). :class:`WebhookTargets` refuses every
address that is not public -- loopback, link-local, private, multicast, unspecified and reserved
ranges -- unless the operator lists it in ``alerts.webhook_allow`` (a host name, ``*.`` a
domain, an address or a CIDR). ``alerts.webhook_public = false`` makes the list exclusive.

It is checked twice:

* **when a rule is made** (:meth:`WebhookTargets.check_url`): the URL's literal host -- an
  address in any notation the resolver accepts (``127.1``, ``2130706433``) or a ``localhost``
  name -- so an obviously internal target is a 422 problem E152 at once;
* **at every delivery** (:meth:`WebhookTargets.vet`): the addresses the host resolves to *now*,
  every one of which must be allowed; the connection then goes to those vetted addresses only
  (:func:`feedback_nlp.alerts.http.post`), so a name that re-resolves to 127.0.0.1 between the
  check and the connect (DNS rebinding) is never reached.

A host listed by name is trusted whatever it resolves to: listing a name is the operator's word.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from feedback_nlp.errors import WebhookTargetError

__all__ = ["Network", "WebhookTargets", "address_kind", "parse_allow_entry", "resolve"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
_FIX = "Use a public host, or ask the operator to list it in FEEDBACK_NLP_ALERTS__WEBHOOK_ALLOW."


def parse_allow_entry(entry: str) -> Network | str:
    """One allow-list entry: a network (an address is a /32 or /128) or a lower-case host name.

    Raises:
        ValueError: If it is neither (the message names the entry).
    """
    text = entry.strip().lower()
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    if not _NAME.match(text) or len(text) > 253:
        raise ValueError(
            "alerts.webhook_allow entries must be host names ('hooks.corp.example', "
            f"'*.corp.example'), addresses or CIDRs ('10.0.0.0/8'). Got {entry!r}."
        )
    return text


def address_kind(address: _Address) -> str | None:
    """Why an address is not public ("loopback", "private"...), or ``None`` when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved or not address.is_global),
    ):
        if flag:
            return kind
    return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to now (TCP), in the resolver's order, without repeats.

    Raises:
        OSError: If it does not resolve (``socket.gaierror``).
    """
    found: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if str(sockaddr[0]) not in found:
            found.append(str(sockaddr[0]))
    return found


@dataclass(frozen=True, slots=True)
class WebhookTargets:
    """The webhook target policy.

    Attributes:
        names: Host names allowed whatever they resolve to.
        domains: Domains (from ``*.domain`` entries) whose sub-hosts are allowed.
        networks: Address ranges allowed although not public.
        public: Whether public addresses not listed are allowed.
    """

    names: frozenset[str] = frozenset()
    domains: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()
    public: bool = True

    @classmethod
    def from_entries(cls, entries: Iterable[str], *, public: bool = True) -> WebhookTargets:
        """The policy of an allow-list (``alerts.webhook_allow``, ``alerts.webhook_public``)."""
        names: set[str] = set()
        domains: list[str] = []
        networks: list[Network] = []
        for entry in entries:
            parsed = parse_allow_entry(entry)
            if isinstance(parsed, str):
                if parsed.startswith("*."):
                    domains.append(parsed[1:])
                else:
                    names.add(parsed)
            else:
                networks.append(parsed)
        return cls(frozenset(names), tuple(domains), tuple(networks), public)

    def listed_name(self, host: str) -> bool:
        """Whether ``host`` is allowed by name (exactly, or under a ``*.`` domain)."""
        name = host.lower().rstrip(".")
        return name in self.names or any(name.endswith(domain) for domain in self.domains)

    def refusal(self, address: str) -> str | None:
        """Why ``address`` may not be reached (a sentence), or ``None`` when it may."""
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        if any(parsed in network for network in self.networks):
            return None
        kind = address_kind(parsed)
        if kind is not None:
            return f"{address} is a {kind} address"
        if not self.public:
            return f"{address} is not in the allow-list (public targets are off)"
        return None

    def check_url(self, url: str) -> str:
        """``url`` when its literal host may be a target (checked again at each delivery).

        Raises:
            WebhookTargetError: If the host is an address, or a ``localhost`` name, that is
                refused (E152).
        """
        host = (urlsplit(url).hostname or "").rstrip(".")
        if self.listed_name(host):
            return url
        if host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
            literal: str | None = "127.0.0.1"
        else:
            literal = _numeric_address(host)
        if literal is None:
            if not self.public:
                raise WebhookTargetError(
                    f"The webhook host {host!r} is not in the allow-list and public targets are "
                    f"off. {_FIX}"
                )
            return url
        reason = self.refusal(literal)
        if reason is not None:
            raise WebhookTargetError(
                f"The webhook URL's host {host!r} may not be a target: {reason}. {_FIX}"
            )
        return url

    def vet(self, host: str, addresses: Sequence[str]) -> str | None:
        """Why the resolved ``addresses`` of ``host`` may not be reached, or ``None``.

        Every address must be allowed: one refused address refuses the host (a rebinding
        resolver may mix a public answer with an internal one).
        """
        if self.listed_name(host):
            return None
        if not addresses:
            return f"{host!r} resolved to no address"
        reasons = [reason for reason in map(self.refusal, addresses) if reason is not None]
        if reasons:
            return f"the webhook host {host!r} may not be a target: {'; '.join(reasons)}"
        return None


def _numeric_address(host: str) -> str | None:
    """The address a numeric host stands for (any notation the resolver reads), else ``None``."""
    try:
        found = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return None
    return str(found[0][4][0]) if found else None
