"""The gateway's generated configuration: LiteLLM proxy config, PII patterns, self-hosted endpoints and the
Kubernetes manifests of the LiteLLM workload. Pure functions of the spec, used by the gateway components."""
