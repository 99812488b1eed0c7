"""The PKI layer below signing and validation: validation contexts, the revocation cache."""
