"""Reading edXML messages of the document interconnection axis (QCVN 102:2016/BTTTT).

Below the domain packages, like :mod:`kyso.pdf`: it imports only the standard library,
:mod:`defusedxml` and :mod:`kyso.errors`. Public modules, imported by name:

* :mod:`kyso.edxml.model` -- the message as plain data: header, business type, status,
  manifest references, decoded attachments, package signature, reader notes;
* :mod:`kyso.edxml.reader` -- the hardened, namespace-aware, streaming reader (no entity
  expansion, no external entities, no network; base64 decoded as it streams; an explicit lenient
  retry for the unbound ``edXML``/``xlink`` prefixes of hand-made samples; the legacy SOAP
  e-doc family recognised);
* :mod:`kyso.edxml.attachments` -- base64 decoding by chunks, single-entry ZIP unpacking,
  content type by magic bytes.

The element tree and what is known about it: ``../shared/docs/edxml.md`` §1-2 (shape seen in
the VNPT/VPCP SDK and integrators' code; the standard's text was not available).
"""

__all__ = ["attachments", "model", "reader"]
