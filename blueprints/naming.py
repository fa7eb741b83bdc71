"""Every resource name comes from here, so names stay unique across regions and environments."""

from __future__ import annotations

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

