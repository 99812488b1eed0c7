"""The layout report: Decree 30/2020 format and signature placement (issue 10).

Rules are data (``rules.json``: ids, default levels, finding codes, tolerances); a validation
policy's ``layout`` section switches rules off and changes levels and tolerances
(:mod:`verifier.layout.policy`). The document is read by :mod:`kyso.layout` (shared with the
signer); :mod:`verifier.layout.check` runs the rules and returns a
:class:`verifier.layout.model.LayoutReport`. Layout findings never change a signature's or the
document's cryptographic indication.
"""
