"""Observability as code: Prometheus rules, Grafana dashboards and the metric names they are built on."""
