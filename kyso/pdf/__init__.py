"""The PDF layer below signing and validation: opening input, the revision store, reference
scans, the byte-level signature scan, hex strings and fonts."""
