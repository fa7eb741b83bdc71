"""Golden-set evaluation: versioned cases with checks (`golden`), their scorers (`checks`, `judge`), a runner against
any OpenAI-compatible endpoint (`runner`), result files (`results`) and the paired comparison that gates a release
(`compare`). Runs on a laptop, in CI and in the cluster's eval Job alike: nothing here imports the IaC side."""


def version_model(model: str, version: str) -> str:
    """The gateway's model name for one running version of a self-hosted model (what `eval gate` evaluates)."""
    return f"{model}@{version}"
