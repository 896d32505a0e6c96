"""The outbound-target guard: probes may not be pointed at the inside of our own network.

A user-supplied base URL is resolved (DNS) and every address it resolves to must be a
public, globally routable one; loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12,
192.168/16, fc00::/7), link-local (169.254/16 — cloud metadata lives there — fe80::/10),
site-local (fec0::/10), shared, reserved, multicast and unspecified addresses are refused, and
IPv6 addresses that carry an IPv4 address (IPv4-mapped, 6to4 2002::/16, Teredo 2001::/32)
are unwrapped and the IPv4 address inside is checked the same way, unless the instance
allows private targets (`LLMSCOPE_ALLOW_PRIVATE_TARGETS`, on in the embedded mode and tests).

Checked at save time (a clear form error) and again before every run, because DNS answers
change. Redirects are never followed by the transports, so a public URL cannot bounce a
probe inward. What remains is the window between our resolution and the HTTP client's own
(DNS rebinding with a zero TTL); closing it would mean pinning the address in the
connection, which the official SDK clients do not let us do without losing TLS name checks.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[..., list]


class UnsafeTarget(ValueError):
    """The URL may not be called from this instance; the message says why, for the user."""


def _describe(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is refused, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _describe(ip.ipv4_mapped)
        # Tunnels: 6to4 and Teredo addresses route to the IPv4 address they embed.
        wrapped = [("6to4", ip.sixtofour)] if ip.sixtofour is not None else []
        if ip.teredo is not None:
            server, client = ip.teredo
            wrapped += [("Teredo", client), ("Teredo", server)]
        for tunnel, inner in wrapped:
            reason = _describe(inner)
            if reason is not None:
                return f"a {tunnel} address wrapping {inner}, {reason}"
        if ip.is_site_local:
            return "a site-local address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved address"
    return None


def check_target(
    url: str, allow_private: bool, resolver: Resolver = socket.getaddrinfo
) -> list[str]:
    """Refuse `url` (raise UnsafeTarget) unless it is http(s) and resolves only to public
    addresses; returns the addresses checked (empty when private targets are allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("Only http:// and https:// URLs can be probed.")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("The URL has no host name.")
    if allow_private:
        return []
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget("The URL has an invalid port.") from exc
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"The host {host} could not be resolved.") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise UnsafeTarget(f"The host {host} could not be resolved.")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        reason = _describe(ip)
        if reason is not None:
            raise UnsafeTarget(
                f"{host} resolves to {address}, {reason}; this instance does not call "
                "private, loopback or link-local targets."
            )
    return addresses
