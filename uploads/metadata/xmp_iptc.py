"""XMP and IPTC IIM read with exiv2 (pyexiv2), from bytes in memory."""

from __future__ import annotations

import pyexiv2

from uploads.metadata.limits import MAX_ITEMS, clip

pyexiv2.set_log_level(4)  # mute exiv2's warnings on odd files; failures still raise

# The XMP keys we keep, by what they mean to us.
_XMP_KEYS = {
    "Xmp.dc.creator": "creator",
    "Xmp.dc.rights": "rights",
    "Xmp.dc.title": "title",
    "Xmp.xmpRights.Marked": "rights_marked",
    "Xmp.xmpRights.UsageTerms": "usage_terms",
    "Xmp.xmpRights.WebStatement": "web_statement",
    "Xmp.plus.DataMining": "data_mining",
    "Xmp.plus.OtherConstraints": "other_constraints",
    "Xmp.iptcExt.DigitalSourceType": "digital_source_type",
    "Xmp.photoshop.Credit": "credit",
    "Xmp.xmp.CreatorTool": "creator_tool",
}
_IPTC_KEYS = {
    "Iptc.Application2.Byline": "byline",
    "Iptc.Application2.Copyright": "copyright",
    "Iptc.Application2.Credit": "credit",
    "Iptc.Application2.ObjectName": "object_name",
    "Iptc.Application2.Keywords": "keywords",
}


def _text(value):
    """XMP language alternatives arrive as {'lang="x-default"': '…'}; keep the text."""
    if isinstance(value, dict):
        return next(iter(value.values()), "")
    return value


def read_xmp_iptc(data: bytes) -> tuple[dict, dict]:
    image = pyexiv2.ImageData(data)
    try:
        xmp = image.read_xmp()
        iptc = image.read_iptc()
    finally:
        image.close()
    xmp_found = {name: clip(_text(xmp[key])) for key, name in _XMP_KEYS.items() if key in xmp}
    iptc_found = {name: clip(iptc[key]) for key, name in _IPTC_KEYS.items() if key in iptc}
    if len(xmp) > len(xmp_found):
        xmp_found["other_keys"] = sorted(k for k in xmp if k not in _XMP_KEYS)[:MAX_ITEMS]
    return xmp_found, iptc_found
