"""One pulumi.ComponentResource per concern. Each receives its slice of the spec and explicit inputs."""
