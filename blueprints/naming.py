"""Every resource name comes from here, so names stay unique across regions and environments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from blueprints.spec import region_code


@dataclass(frozen=True)
class Namer:
    """Names for one region of one platform, e.g. `reg-prod-euc1-vpc`."""

    platform: str
    environment: str
    region: str

    @property
    def prefix(self) -> str:
        return f"{self.platform}-{self.environment}-{region_code(self.region)}"

    def __call__(self, *parts: str) -> str:
        """Logical (stack-unique) and physical name: `<platform>-<env>-<region code>-<parts...>`."""
        return "-".join([self.prefix, *parts])

    def short(self, *parts: str, limit: int = 32) -> str:
        """`self(*parts)` for AWS names with a length limit (load balancers, target groups, collections: 32):
        when too long, cut and ended with a hash of the full name, so names stay unique and stable."""
        name = self(*parts)
        if len(name) <= limit:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        return f"{name[:limit - 7].rstrip('-')}-{digest}"
