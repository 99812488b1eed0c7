"""The PDF layer below signing and validation (nothing here imports signer or verifier code).

It imports only pyHanko (and fontTools for fonts), the standard library and ``kyso.errors``.
Public modules, imported by name (nothing is imported here, so importing one stays cheap):

* :mod:`kyso.pdf.input` -- what the signer accepts: a readable, unencrypted PDF within the limit;
* :mod:`kyso.pdf.revisions` -- the revision store (objects and their offsets per revision);
* :mod:`kyso.pdf.references` -- which objects reference which, per revision;
* :mod:`kyso.pdf.reference_arrays` -- the fast reader of plain reference arrays;
* :mod:`kyso.pdf.values` -- comparing parsed values, and the structure error of hostile files;
* :mod:`kyso.pdf.byte_scan` -- signature dictionaries of a PDF no parser can open;
* :mod:`kyso.pdf.text_boxes` -- word and line boxes from ``pdftotext -bbox``;
* :mod:`kyso.pdf.hex_strings` -- the block reader of hex strings installed into pyHanko;
* :mod:`kyso.pdf.fonts` -- the fonts kyso draws with; embedded subsets, made once per character set.
"""

__all__ = [
    "byte_scan",
    "fonts",
    "hex_strings",
    "input",
    "reference_arrays",
    "references",
    "revisions",
    "text_boxes",
    "values",
]
