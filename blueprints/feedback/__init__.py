"""Feedback and online quality signals: the gateway's quality callback and the feedback service (issue 20 s3)."""
