"""What a network source range means: whether it is, in effect, the internet.

`0.0.0.0/0` is one spelling; `0.0.0.0/1` + `128.0.0.0/1`, `::/0`, `2000::/3` or a public /8 admit the same
strangers. A range counts as the internet when it holds public (globally routable) addresses and is broader than
`MAX_PUBLIC_PREFIX` allows: wider than a /16 (65,536 addresses) for IPv4 or a /32 (an ISP allocation) for IPv6.
Private, shared (RFC 6598) and unique-local ranges are never the internet, whatever their size.
"""

from __future__ import annotations

import ipaddress

MAX_PUBLIC_PREFIX = {4: 16, 6: 32}
"""The broadest public prefix length still read as "named partners or offices" rather than the internet."""


def is_internet(cidr: object) -> bool:
    """True for a source range that admits the internet; an unparseable range is treated as the internet (fail
    closed)."""
    try:
        network = ipaddress.ip_network(str(cidr).strip(), strict=False)
    except ValueError:
        return True
    if network.is_private or (network.version == 4 and network.subnet_of(ipaddress.ip_network("100.64.0.0/10"))):
        return False
    return network.prefixlen < MAX_PUBLIC_PREFIX[network.version]
