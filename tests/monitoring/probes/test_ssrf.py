"""The outbound-target guard, with a fake DNS resolver (no network in tests)."""

from __future__ import annotations

import socket

import pytest

from monitoring.probes.ssrf import UnsafeTarget, check_target


def resolver_for(*addresses: str):
    """A getaddrinfo stand-in answering `addresses` for any host."""

    def resolve(host, port, type=0):
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def unresolvable(host, port, type=0):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:11434", "loopback"),
        ("http://10.0.0.1/v1", "private"),
        ("http://192.168.1.20/v1", "private"),
        ("http://172.16.5.4/v1", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::1]:8000/v1", "loopback"),
        ("http://[fe80::1]/v1", "link-local"),
        ("http://0.0.0.0/v1", "unspecified"),
        ("http://100.64.0.1/v1", "reserved"),  # carrier-grade NAT: not globally routable
    ],
)
def test_it_refuses_internal_addresses(url, why):
    ip = url.split("//")[1].split("/")[0].rsplit(":", 1)[0] if "[" not in url else None
    resolver = resolver_for(ip) if ip else socket.getaddrinfo
    with pytest.raises(UnsafeTarget, match=why):
        check_target(url, allow_private=False, resolver=resolver)


def test_it_refuses_a_public_name_that_resolves_to_a_private_address():
    with pytest.raises(UnsafeTarget, match=r"llm\.example\.com resolves to 10\.1\.2\.3"):
        check_target(
            "https://llm.example.com/v1", allow_private=False, resolver=resolver_for("10.1.2.3")
        )


def test_it_refuses_a_name_with_any_private_address_among_public_ones():
    resolver = resolver_for("93.184.216.34", "127.0.0.1")
    with pytest.raises(UnsafeTarget, match="loopback"):
        check_target("https://mixed.example.com", allow_private=False, resolver=resolver)


def test_it_refuses_an_ipv4_mapped_ipv6_loopback():
    with pytest.raises(UnsafeTarget, match="loopback"):
        check_target(
            "http://sneaky.example.com",
            allow_private=False,
            resolver=resolver_for("::ffff:127.0.0.1"),
        )


def test_it_accepts_a_public_address():
    addresses = check_target(
        "https://api.openai.com/v1", allow_private=False, resolver=resolver_for("93.184.216.34")
    )
    assert addresses == ["93.184.216.34"]


def test_it_allows_private_targets_when_the_instance_does():
    assert check_target("http://127.0.0.1:11434", allow_private=True, resolver=unresolvable) == []


def test_an_unresolvable_host_is_a_clear_error():
    with pytest.raises(UnsafeTarget, match="could not be resolved"):
        check_target("https://nowhere.invalid", allow_private=False, resolver=unresolvable)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x"])
def test_only_http_and_https_are_allowed(url):
    with pytest.raises(UnsafeTarget, match="Only http"):
        check_target(url, allow_private=True)


def test_a_url_without_host_is_refused():
    with pytest.raises(UnsafeTarget, match="no host"):
        check_target("http:///v1", allow_private=True)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("2002:7f00:1::", "6to4 address wrapping 127.0.0.1, a loopback"),
        ("2002:a9fe:a9fe::1", "6to4 address wrapping 169.254.169.254, a link-local"),
        ("2002:c0a8:0101::1", "6to4 address wrapping 192.168.1.1, a private"),
        # Teredo: the client's IPv4 is stored inverted (0x80fffffe -> 127.0.0.1).
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo address wrapping 127.0.0.1, a loopback"),
        ("2001:0:4136:e378:8000:63bf:5601:5601", "Teredo address wrapping 169.254.169.254"),
        ("2001:0:7f00:1:8000:63bf:f7f7:f7f7", "Teredo address wrapping 127.0.0.1"),
        ("fec0::1", "site-local"),
        ("fed0:1234::1", "site-local"),
    ],
)
def test_it_unwraps_tunnel_addresses_and_refuses_site_local(address, why):
    with pytest.raises(UnsafeTarget) as error:
        check_target("http://tunnel.example.com/v1", False, resolver_for(address))
    assert why in str(error.value)


def test_a_6to4_address_wrapping_a_public_address_is_allowed():
    # 2002:0808:0808:: wraps 8.8.8.8, a public address.
    assert check_target("http://x.example.com/", False, resolver_for("2002:808:808::1"))
