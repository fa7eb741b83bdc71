"""Access to the gateway: teams and virtual keys in LiteLLM's database. `admin_api` (the admin API client) and
`reconcile` (the key reconciler Job) are runtime code; `manifests` generates the Job."""
