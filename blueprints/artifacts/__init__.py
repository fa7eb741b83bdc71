"""Model artifacts in the artifacts bucket: the manifest format, publishing and verification."""
