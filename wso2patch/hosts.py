"""Host values of the spec (node.host, database.host): what one may look like, and how each place writes it.

A host is an IPv4 address, an IPv6 address (bare, as `ip` prints it) or a DNS name. Where it goes into a URL an
IPv6 address needs brackets (`url_host`), and MySQL Connector/J 5.1, the driver of Carbon 4.4, cannot read a
bracketed address at all: it splits `host:port` at the first colon, so the JDBC URL uses its key/value form
(`jdbc_authority`), which 5.1 and 8.x both read.
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_NAME_CHARS = re.compile(r"^[A-Za-z0-9_.-]+$")
_WITH_PORT = re.compile(r"^(?:\[(?P<v6>[^\]]*)\]|(?P<host>[^:\[\]]+)):(?P<port>\d+)$")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def with_port(host: str) -> tuple[str, int] | None:
    """(host, port) when `host` is `host:port` or `[v6]:port` with a valid host part; else None."""
    m = _WITH_PORT.match(host)
    if not m:
        return None
    bare = m.group("v6") if m.group("v6") is not None else m.group("host")
    if problem(bare) is not None or (m.group("v6") is not None and ":" not in bare):
        return None
    return bare, int(m.group("port"))


def problem(host: str) -> str | None:
    """Why `host` is not an IPv4 address, an IPv6 address or a DNS name; None when it is one."""
    if not host:
        return "it is empty"
    if host.startswith("[") and host.endswith("]") and _ip(host[1:-1]) is not None:
        return "brackets belong in URLs, not in the address (wso2patch adds them where a URL needs them)"
    if ":" in host:
        if "%" in host:
            return "a zone index (%...) names an interface of one machine, which other nodes cannot use"
        return None if isinstance(_ip(host), ipaddress.IPv6Address) else "it is not a valid IPv6 address"
    if not host.isascii():
        return "a DNS name is ASCII (an internationalized name is written in its xn-- form)"
    if not _NAME_CHARS.match(host):
        return "a DNS name holds only letters, digits, '-', '_' and '.'"
    labels = host.split(".")
    if labels[-1].isdigit():  # RFC 1123: a name whose last label is numeric would read as an address
        return None if _ip(host) is not None else "it is not a valid IPv4 address (four numbers 0-255, no leading 0)"
    if len(host) > 253:
        return "a DNS name has at most 253 characters"
    for label in labels:
        if not label:
            return "a DNS name has no empty label (no leading, trailing or doubled '.')"
        if len(label) > 63:
            return f"the label {label[:20]!r}... is longer than 63 characters"
        if not _LABEL.match(label):
            return f"the label {label!r} starts or ends with '-'"
    return None


def key(host: str) -> str:
    """One spelling per machine, for comparisons: IP addresses compressed, names in lower case, every loopback
    address and localhost the same (Carbon binds its ports on every interface, so they clash there too)."""
    if is_loopback(host):
        return "localhost"
    ip = _ip(host)
    return ip.compressed if ip is not None else host.lower()


def url_host(host: str) -> str:
    """The host as the authority of a URL: an IPv6 address in brackets (RFC 3986)."""
    return f"[{host}]" if ":" in host else host


def jdbc_authority(host: str, port: int) -> str:
    """host:port of a MySQL JDBC URL; an IPv6 address in the address=(...) form Connector/J 5.1 and 8.x read."""
    return f"address=(protocol=tcp)(host={host})(port={port})" if ":" in host else f"{host}:{port}"


def is_loopback(host: str) -> bool:
    ip = _ip(host)
    if ip is not None:
        return ip.is_loopback
    name = host.lower()
    return name == "localhost" or name.startswith("localhost.")
