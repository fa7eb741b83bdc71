"""Builds the prompt-drift centroids (blueprints/feedback/prompt_centroids.json): spherical k-means, with a fixed
seed, over the wordllama embeddings of every starter golden set's prompts (a reference corpus of the three use
cases the presets serve). Run `python -m blueprints.feedback.centroids` after changing the golden sets or the
embedding model; a test checks the shipped file is what this builds."""

from __future__ import annotations

import json
import sys

import numpy as np

from blueprints.evaluation.golden import load, starter_sets
from blueprints.feedback.drift import CENTROIDS_FILE
from blueprints.local_embeddings import MODEL, embed

K = 8
SEED = 20
ITERATIONS = 100


def reference_prompts() -> list[str]:
    """The user text of every starter case (its prompt, or its last user message)."""
    return [case.prompt if case.prompt is not None else (case.messages or ())[-1].content
            for name in starter_sets() for case in load(name).cases]


def spherical_kmeans(rows: np.ndarray, k: int, seed: int = SEED, iterations: int = ITERATIONS) -> np.ndarray:
    """k unit centroids; k-means++ seeding from a fixed generator, then Lloyd steps on cosine similarity."""
    generator = np.random.default_rng(seed)
    centroids = [rows[generator.integers(len(rows))]]
    while len(centroids) < k:
        distance = 1.0 - (rows @ np.asarray(centroids).T).max(axis=1)
        weights = np.clip(distance, 0.0, None) ** 2
        centroids.append(rows[generator.choice(len(rows), p=weights / weights.sum())])
    means = np.asarray(centroids)
    for _ in range(iterations):
        nearest = (rows @ means.T).argmax(axis=1)
        updated = np.asarray([rows[nearest == index].sum(axis=0) if (nearest == index).any() else means[index]
                              for index in range(k)])
        updated /= np.linalg.norm(updated, axis=1, keepdims=True)
        if np.allclose(updated, means):
            break
        means = updated
    return means


def build() -> dict[str, object]:
    prompts = reference_prompts()
    centroids = spherical_kmeans(np.asarray(embed(prompts), dtype=np.float64), K)
    return {"model": MODEL, "k": K, "seed": SEED, "reference": f"starter golden sets: {', '.join(starter_sets())} "
            f"({len(prompts)} prompts)", "centroids": np.round(centroids, 6).tolist()}


def main() -> None:
    CENTROIDS_FILE.write_text(json.dumps(build()) + "\n")
    sys.stdout.write(f"wrote {CENTROIDS_FILE}\n")


if __name__ == "__main__":
    main()
