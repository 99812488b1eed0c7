"""Embedded defaults: a demo PKI with its responders, demo keys and images, made on first start.

Public modules, imported by name (nothing is imported here):

* :mod:`kyso.demo.embedded` -- ``ensure_demo``: the demo home, PKI and keys of ``kyso serve``;
* :mod:`kyso.demo.pki` -- the certomancer demo PKI and its local responders;
* :mod:`kyso.demo.images` -- generated signature and seal images (PNG).
"""

__all__ = ["embedded", "images", "pki"]
