"""Prompt drift: each sampled prompt is embedded with the small local model (blueprints/local_embeddings.py) and
counted under the nearest of K fixed centroids shipped with the package (`prompt_centroids.json`, built from the
starter golden sets by blueprints/feedback/centroids.py). Prometheus compares the clusters' shares of the last day
with the same day a week earlier (PSI, blueprints/observability/rules.py); the centroids never change between the
two windows, so only the prompts can move the shares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CENTROIDS_FILE = Path(__file__).with_name("prompt_centroids.json")


def cluster_label(index: int) -> str:
    return f"c{index}"


class Clusters:
    """Nearest-centroid assignment in the embedding space (cosine: rows are L2-normalised)."""

    def __init__(self, centroids: np.ndarray) -> None:
        self.centroids = centroids
        self.labels = [cluster_label(index) for index in range(len(centroids))]

    @classmethod
    def shipped(cls, path: Path = CENTROIDS_FILE) -> Clusters:
        import numpy as np

        return cls(np.asarray(json.loads(path.read_text())["centroids"], dtype=np.float32))

    def assign(self, prompts: list[str]) -> list[str]:
        from blueprints.local_embeddings import embed

        rows = embed(prompts)
        return [self.labels[int(index)] for index in (rows @ self.centroids.T).argmax(axis=1)]
