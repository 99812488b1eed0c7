"""Storage backends of the trust store: a local directory and Redis."""
