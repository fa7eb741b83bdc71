"""Code that runs in AWS on the platform's behalf to keep credentials out of stack config and state."""
