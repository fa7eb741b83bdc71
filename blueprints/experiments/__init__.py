"""A/B experiments by user segment: the gateway's routing hook and its config (gateway.py, litellm_ab.py), and the
report comparing variants (report.py)."""
