"""Reading a document's layout: the text as a reader sees it, and the Decree 30/2020 elements.

Below both signer and verifier (it imports only :mod:`kyso.pdf`, :mod:`kyso.errors`, pyHanko,
pypdfium2 and the standard library). Public modules, imported by name:

* :mod:`kyso.layout.geometry` -- rectangles, and each page's view transform (/Rotate, crop box);
* :mod:`kyso.layout.text` -- words and lines with boxes in PDF user space, rotation-aware, with
  the font's italic/bold flags; whether a page has a text layer at all;
* :mod:`kyso.layout.ocr` -- pages without a text layer read by Tesseract (Vietnamese model);
* :mod:`kyso.layout.vocabulary` -- Decree 30/2020 words: type names and codes (Appendix III),
  authority prefixes, copy forms (data, ``decree30.json``);
* :mod:`kyso.layout.elements` -- the Decree 30/2020 elements recognised on the pages: national
  title, motto, issuer, number and symbol, place and date, type and subject, recipients;
* :mod:`kyso.layout.signer_block` -- signer blocks (authority prefix, title lines, name line),
  for the verifier's checks and the signer's default placement;
* :mod:`kyso.layout.signature_fields` -- signature fields' widgets: page, rectangle, image or
  text appearance, the signer's certificate names, signing order.
"""

__all__ = [
    "elements",
    "geometry",
    "ocr",
    "signature_fields",
    "signer_block",
    "text",
    "vocabulary",
]
