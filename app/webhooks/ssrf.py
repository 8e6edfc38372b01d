"""SSRF guard: a webhook may only reach public addresses (unless a setting allows others).

The hostname is resolved and EVERY address checked (a name with one public and one private
address is refused). The delivery then connects to the checked address itself (the URL's
host only goes into the Host header and TLS SNI), so a DNS answer that changes between the
check and the connection (DNS rebinding) cannot redirect it.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from app.core.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedTarget(InvalidInput):
    code = "webhook_target_refused"


@dataclass(frozen=True)
class Target:
    url: SplitResult
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def parse_url(url: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget("Webhook URLs must be http or https", details={"url": url})
    if not parts.hostname:
        raise RefusedTarget("Webhook URL has no host", details={"url": url})
    if parts.username or parts.password:
        raise RefusedTarget("Webhook URLs must not carry credentials", details={"url": url})
    return parts


async def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Resolve and check; raises RefusedTarget (a 422) for disallowed targets."""
    parts = parse_url(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except OSError as exc:
        raise RefusedTarget(
            "Webhook host does not resolve", details={"host": host, "error": str(exc)}
        ) from exc
    addresses = tuple(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise RefusedTarget("Webhook host does not resolve", details={"host": host})
    if not allow_private:
        bad = [str(a) for a in addresses if not is_public(a)]
        if bad:
            raise RefusedTarget(
                "Webhook target resolves to a private, loopback or link-local address",
                details={"host": host, "addresses": bad},
            )
    return Target(url=parts, host=host, port=port, addresses=addresses)
