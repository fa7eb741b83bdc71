"""Day-2 operations against a deployed platform: preflight, rollouts, verification, stack config edits."""
