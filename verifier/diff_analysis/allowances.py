"""What a later revision may touch, as data the rules read.

Each table names the dictionary keys one rule family lets change, or hands to another family.
Everything not listed here is OTHER (deny by default): widening a table is a decision about
what a signature protects, to be made with ISO 32000-2 12.8.2 (DocMDP/FieldMDP) and PAdES
(ETSI EN 319 142-1 5.4: DSS and document timestamps after signing) in hand.
"""

from __future__ import annotations

from types import MappingProxyType

from verifier.diff_analysis.model import ChangeKind, ModificationLevel

#: How far each kind of change goes, on pyHanko's scale; a kind not listed is OTHER.
KIND_LEVEL = MappingProxyType(
    {
        ChangeKind.SIGNATURE_ADDED: ModificationLevel.FORM_FILLING,
        ChangeKind.SIGNATURE_FIELD_ADDED: ModificationLevel.FORM_FILLING,
        ChangeKind.SIGNATURE_WIDGET_ADDED: ModificationLevel.FORM_FILLING,
        ChangeKind.EMPTY_SIGNATURE_WIDGET_ADDED: ModificationLevel.FORM_FILLING,
        ChangeKind.DOCUMENT_TIMESTAMP_ADDED: ModificationLevel.LTA_UPDATES,
        ChangeKind.DSS_UPDATED: ModificationLevel.LTA_UPDATES,
        ChangeKind.METADATA_UPDATED: ModificationLevel.LTA_UPDATES,
        ChangeKind.CATALOG_EXTENSIONS_UPDATED: ModificationLevel.LTA_UPDATES,
        ChangeKind.FORM_FILLED: ModificationLevel.FORM_FILLING,
        ChangeKind.STRUCTURE_UPDATED: ModificationLevel.FORM_FILLING,
        ChangeKind.ANNOTATION_ADDED: ModificationLevel.ANNOTATIONS,
        ChangeKind.ANNOTATION_CHANGED: ModificationLevel.ANNOTATIONS,
    }
)

#: How far a kind of change goes when the signed revision is certified (catalogue /Perms
#: /DocMDP). ISO 32000-2 12.8.2.2.2 (Table 257) lets P=2 fill in forms and *sign*, and P=3 also
#: create, change and delete annotations. kyso's reading:
#:
#: * signing an existing field, or a new field signed in the revision that creates it, is
#:   signing, visible or not (FORM_FILLING: P=2 allows it). Acrobat and DSS read it so, and the
#:   Government's own documents rely on it (VGCA tools certify with P=2 at the first signature
#:   and every later signature brings its own visible field: Decree 50/2026, BC 884);
#: * a new signature field with a visible widget (an area, not Hidden/NoView) left *empty* is
#:   a new widget annotation, not signing: ANNOTATIONS, so only P=3 allows it (pyHanko's
#:   ``SigFieldCreationRule`` refuses every new visible field after a certification, which
#:   would fail those Government documents; an invisible empty field stays FORM_FILLING);
#: * DSS updates and document timestamps stay LTA_UPDATES: P=1 allows nothing else (PAdES,
#:   ETSI EN 319 142-1 5.4).
#:
#: Without a certification every one of these is part of signing.
CERTIFIED_KIND_LEVEL = MappingProxyType(
    {
        ChangeKind.EMPTY_SIGNATURE_WIDGET_ADDED: ModificationLevel.ANNOTATIONS,
    }
)

#: Kinds of change that draw nothing on any page when they name none (no page, no region): the
#: visual comparison may treat a page as unchanged across them. Any other kind without a page
#: (an unexplained object, a field whose widget is on no page...) is taken to change every page.
NOT_SHOWN_KINDS = frozenset(
    {
        ChangeKind.DSS_UPDATED,
        ChangeKind.METADATA_UPDATED,
        ChangeKind.CATALOG_EXTENSIONS_UPDATED,
        ChangeKind.STRUCTURE_UPDATED,
        ChangeKind.SIGNATURE_ADDED,
        ChangeKind.SIGNATURE_FIELD_ADDED,
        ChangeKind.DOCUMENT_TIMESTAMP_ADDED,
    }
)

#: Annotation flags (ISO 32000-2 12.5.3) under which an annotation is never shown.
ANNOTATION_FLAGS_NOT_SHOWN = 2 | 32  # Hidden, NoView

# -- trailer and catalogue ------------------------------------------------------------------

#: Trailer entries that describe the file's storage, not its content: never compared.
TRAILER_IGNORED = frozenset(
    {
        "/Size",
        "/Prev",
        "/ID",
        "/XRefStm",
        "/Type",
        "/W",
        "/Index",
        "/Length",
        "/Filter",
        "/DecodeParms",
        "/DocChecksum",
    }
)

#: Catalogue entries a later revision may change, and the rule family that judges each one.
#: Any other changed catalogue entry is CATALOG_CHANGED (OTHER).
CATALOG_KEYS = MappingProxyType(
    {
        "/AcroForm": "form_fields",  # new signature fields, filled fields
        "/DSS": "dss",  # validation data (PAdES LTV)
        "/Metadata": "metadata",  # the XMP stream
        "/Extensions": "extensions",  # extension declarations (ISO 32000-2 7.12)
        "/Version": "extensions",
        "/Names": "names",  # only /Names /AP: named annotation appearances
    }
)

#: Name trees of the catalogue's /Names a later revision may change.
NAMES_ALLOWED = frozenset({"/AP"})

# -- form fields and signatures -------------------------------------------------------------

#: AcroForm entries a signing tool rewrites (signature flags, default appearance, default
#: resources: /DR is checked resource by resource).
ACROFORM_IGNORED = frozenset({"/SigFlags", "/DA", "/DR"})

#: Widget entries that only change what a signature field shows (ISO 32000-2 12.5.6.19).
SIGNATURE_WIDGET_KEYS = frozenset({"/AP", "/AS", "/MK", "/F"})

#: Entries of a (non-signature) field that filling it in may change.
FIELD_VALUE_KEYS = frozenset({"/V", "/AP", "/AS", "/RV", "/I"})

#: Widget entries of a (non-signature) field that filling it in may change.
FIELD_WIDGET_KEYS = frozenset({"/AP", "/AS", "/MK"})

#: Appearance dictionary entries (normal, rollover, down).
APPEARANCE_KEYS = ("/N", "/R", "/D")

# -- pages and annotations ------------------------------------------------------------------

#: Page attributes a page inherits from its ancestors (ISO 32000-2 7.7.3.4).
INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")

#: Page entries that change nothing drawn: the annotation list (judged item by item), tab
#: order and the structure back-pointer.
PAGE_NON_VISUAL_KEYS = frozenset({"/Annots", "/Tabs", "/StructParents"})

#: Page tree node entries that may differ when the page list itself stays the same.
PAGE_TREE_NODE_KEYS = frozenset({"/Kids", "/Count"})

# -- structure tree -------------------------------------------------------------------------

#: StructTreeRoot entries signing tools rewrite when they tag new widgets.
STRUCT_ROOT_KEYS = frozenset({"/ParentTree", "/ParentTreeNextKey", "/K", "/IDTree"})

#: Structure element entries that may change (only by gaining kids).
STRUCT_ELEM_KEYS = frozenset({"/K"})

#: Number tree node entries (the parent tree).
NUMBER_TREE_KEYS = frozenset({"/Nums", "/Kids", "/Limits"})

# -- explanation walks ----------------------------------------------------------------------

#: Back-pointers a walk below a new object does not follow: tab order and structure
#: back-pointers, which signing tools touch without anything visible changing.
EXPLAIN_SKIP_KEYS = frozenset({"/P", "/Parent", "/Pg", "/Obj", "/StructParent"})

#: Font dictionary entries a rewrite may change without changing the font (iText rewrites
#: the obsolete /Name).
FONT_IGNORED_KEYS = frozenset({"/Name"})

__all__ = [
    "ACROFORM_IGNORED",
    "ANNOTATION_FLAGS_NOT_SHOWN",
    "APPEARANCE_KEYS",
    "CATALOG_KEYS",
    "CERTIFIED_KIND_LEVEL",
    "EXPLAIN_SKIP_KEYS",
    "FIELD_VALUE_KEYS",
    "FIELD_WIDGET_KEYS",
    "FONT_IGNORED_KEYS",
    "INHERITABLE",
    "KIND_LEVEL",
    "NAMES_ALLOWED",
    "NOT_SHOWN_KINDS",
    "NUMBER_TREE_KEYS",
    "PAGE_NON_VISUAL_KEYS",
    "PAGE_TREE_NODE_KEYS",
    "SIGNATURE_WIDGET_KEYS",
    "STRUCT_ELEM_KEYS",
    "STRUCT_ROOT_KEYS",
    "TRAILER_IGNORED",
]
