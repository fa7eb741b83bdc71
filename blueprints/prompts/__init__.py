"""Prompt templates versioned with the models: which prompt version each running model version uses, how it is
stored (SSM Parameter Store) and how the gateway applies it (a LiteLLM callback reading deployment model_info)."""
