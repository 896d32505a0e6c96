"""How each notification event looks in the chat kinds: one colour and one emoji each."""

COLORS = {
    "trigger": 0xD93025,
    "renotify": 0xE37400,
    "acknowledge": 0x1A73E8,
    "resolve": 0x188038,
    "test": 0x5F6368,
}
EMOJI = {
    "trigger": ":red_circle:",
    "renotify": ":large_orange_circle:",
    "acknowledge": ":large_blue_circle:",
    "resolve": ":large_green_circle:",
    "test": ":white_circle:",
}


def color(notification: dict) -> int:
    return COLORS.get(notification.get("event", ""), COLORS["test"])


def hex_color(notification: dict) -> str:
    return f"#{color(notification):06x}"


def is_public_url(url: str | None) -> bool:
    """True for a URL outside loopback and private ranges: chat services fetch pictures
    themselves and some (Slack) refuse a message whose picture they cannot reach."""
    import ipaddress
    from urllib.parse import urlsplit

    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host in ("localhost", "") or host.endswith(".local"):
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return True
    return ip.is_global
