"""One module renders a license for people and for machines, from the same terms:

- the human license text (a versioned template; its hash goes into every consent record);
- the plain-language summary a creator confirms;
- RSL 1.0 XML for a work's offer;
- the CAWG training-and-data-mining assertion a C2PA manifest would carry;
- the XMP packet embedded in delivered copies (read back by uploads.metadata)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from django.conf import settings
from django.template.loader import render_to_string

from common.money import format_major, format_money
from licensing.terms import USE_LABELS, LicenseTerms, Use

RSL_NS = "https://rslstandard.org/rsl"
PLUS_NS = "http://ns.useplus.org/ldf/xmp/1.0/"
PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
DMI_SEE_CONSTRAINT = PLUS_VOCAB + "DMI-PROHIBITED-SEECONSTRAINT"


# Characters XML 1.0 cannot carry at all; a name typed with one must not break a document.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


# --- For people ---------------------------------------------------------------------------


def license_text(terms: LicenseTerms, *, work=None, creator_name: str = "") -> str:
    return render_to_string(
        "licensing/license_text.txt",
        {
            "version": settings.LICENSE_TEXT_VERSION,
            "terms": terms,
            "terms_hash": terms.hash,
            "use_labels": [USE_LABELS[u] for u in sorted(terms.uses)],
            "term_label": terms.term_label(),
            "work": work,
            "creator_name": creator_name,
        },
    )


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def plain_summary(terms: LicenseTerms, *, price_amount: int, currency: str) -> list[str]:
    """The sentences a creator reads and confirms before anything is offered."""
    uses = [USE_LABELS[u] for u in sorted(terms.uses)]
    listing = uses[0] if len(uses) == 1 else ", ".join(uses[:-1]) + " and " + uses[-1]
    sentences = [
        f"AI teams may {listing} with this work.",
        "Models trained on it may be used commercially."
        if terms.commercial
        else "Models trained on it may not be used commercially.",
    ]
    if terms.requires_destruction:
        sentences.append(
            f"After {terms.term_label()} every model trained on it must be destroyed, "
            "and the team must confirm it."
        )
    else:
        sentences.append(
            f"After {terms.term_label()} training on it must stop; models already trained may "
            "be kept."
        )
    if terms.attribution_required:
        sentences.append("Your name must be credited in every model's documentation.")
    sentences.append(
        f"You are paid {format_money(price_amount, currency)} per license, "
        "less Assent's published fee."
    )
    sentences.append(
        "You can withdraw consent at any time; licenses already sold run to their end."
    )
    return sentences


# --- RSL 1.0 ------------------------------------------------------------------------------

# Our uses mapped to RSL usage tokens. RSL has no token for evaluation; it is use of the work
# as model input, so it maps to ai-input (our own vocabulary stays in the license text).
RSL_USAGE = {
    Use.GENERATIVE: "ai-train",
    Use.NONGENERATIVE: "ai-train",
    Use.FINE_TUNE: "ai-train",
    Use.EVALUATE: "ai-input",
    Use.INPUT: "ai-input",
}


def rsl_xml(offer, *, content_url: str, license_url: str, copyright_holder: str) -> str:
    terms = offer.terms
    ET.register_namespace("", RSL_NS)
    root = ET.Element(f"{{{RSL_NS}}}rsl")
    content = ET.SubElement(root, f"{{{RSL_NS}}}content", url=content_url)
    license_el = ET.SubElement(content, f"{{{RSL_NS}}}license")
    permitted = sorted({RSL_USAGE[u] for u in terms.uses})
    ET.SubElement(license_el, f"{{{RSL_NS}}}permits", type="usage").text = " ".join(permitted)
    prohibited = sorted({"ai-train", "ai-input"} - set(permitted))
    if prohibited:
        ET.SubElement(license_el, f"{{{RSL_NS}}}prohibits", type="usage").text = " ".join(
            prohibited
        )
    user = "commercial non-commercial" if terms.commercial else "non-commercial"
    ET.SubElement(license_el, f"{{{RSL_NS}}}permits", type="user").text = user
    if not terms.commercial:
        ET.SubElement(license_el, f"{{{RSL_NS}}}prohibits", type="user").text = "commercial"
    payment = ET.SubElement(license_el, f"{{{RSL_NS}}}payment", type="training")
    ET.SubElement(payment, f"{{{RSL_NS}}}standard").text = license_url
    ET.SubElement(payment, f"{{{RSL_NS}}}amount", currency=offer.currency).text = format_major(
        offer.price_amount, offer.currency
    )
    ET.SubElement(license_el, f"{{{RSL_NS}}}legal", type="terms").text = license_url
    ET.SubElement(content, f"{{{RSL_NS}}}copyright", type="person").text = xml_safe(
        copyright_holder
    )
    ET.SubElement(content, f"{{{RSL_NS}}}terms").text = license_url
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --- CAWG training and data mining ---------------------------------------------------------


def cawg_training_mining(terms: LicenseTerms, *, license_url: str) -> dict:
    """`cawg.training-mining` as a C2PA manifest would carry it: what is allowed outright, and
    what is allowed only under our license (constrained, with where to read it)."""
    constrained = {
        "use": "constrained",
        "constraints_info": f"Licensed through Assent: {license_url}",
    }
    not_allowed = {"use": "notAllowed"}
    trains = terms.uses & {Use.NONGENERATIVE, Use.FINE_TUNE}
    entries = {
        "cawg.ai_generative_training": constrained if Use.GENERATIVE in terms.uses else not_allowed,
        "cawg.ai_training": constrained
        if (trains or Use.GENERATIVE in terms.uses)
        else not_allowed,
        "cawg.ai_inference": constrained if terms.uses & {Use.INPUT, Use.EVALUATE} else not_allowed,
        "cawg.data_mining": not_allowed,
    }
    return {"label": "cawg.training-mining", "data": {"entries": entries}}


# --- XMP for delivered copies ----------------------------------------------------------------


def license_constraint(
    *, license_id: str, terms: LicenseTerms, expires_at: datetime, license_url: str
) -> str:
    """The license of a delivered copy in one line (XMP `plus:OtherConstraints`, and the
    terms-of-use tag of a delivered recording)."""
    return (
        f"Assent license {license_id}: {', '.join(sorted(terms.uses))}; "
        f"{'commercial' if terms.commercial else 'non-commercial'}; until "
        f"{expires_at.date().isoformat()}; at expiry {terms.on_expiry}. See {license_url}"
    )


def rights_statement(*, rights_holder: str, license_url: str) -> str:
    """The copyright line of a delivered copy (XMP `dc:rights`, a recording's copyright tag)."""
    return f"© {rights_holder}. Licensed for AI training under {license_url}"


def xmp_packet(
    *,
    license_id: str,
    terms: LicenseTerms,
    expires_at: datetime,
    license_url: str,
    creator: str,
    rights_holder: str,
) -> str:
    """The packet embedded in every delivered file. `plus:DataMining` says mining is prohibited
    except as the named license allows; `plus:OtherConstraints` names it and its expiry."""
    constraint = license_constraint(
        license_id=license_id, terms=terms, expires_at=expires_at, license_url=license_url
    )
    rights = rights_statement(rights_holder=rights_holder, license_url=license_url)

    def e(value: str) -> str:
        return escape(xml_safe(value))

    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"\n'
        f'    xmlns:plus="{PLUS_NS}">\n'
        f"   <plus:DataMining>{e(DMI_SEE_CONSTRAINT)}</plus:DataMining>\n"
        '   <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{e(constraint)}</rdf:li></rdf:Alt></plus:OtherConstraints>\n"
        "   <xmpRights:Marked>True</xmpRights:Marked>\n"
        f"   <xmpRights:WebStatement>{e(license_url)}</xmpRights:WebStatement>\n"
        '   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{e(rights)}</rdf:li></rdf:Alt></dc:rights>\n"
        f"   <dc:creator><rdf:Seq><rdf:li>{e(creator)}</rdf:li></rdf:Seq></dc:creator>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


# --- ODRL 2.2 for a license grant ------------------------------------------------------------

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
# Our uses as actions of an Assent ODRL profile; each is a narrower `odrl:use`.
ODRL_PROFILE_PATH = "/licenses/odrl-profile/"


def _odrl_datetime(value: datetime) -> dict:
    return {"@value": value.isoformat().replace("+00:00", "Z"), "@type": "xsd:dateTime"}


def odrl_policy(grant, *, base_url: str, work_ref=None) -> dict:
    """The license as an ODRL 2.2 `Agreement` (JSON-LD): Assent assigns, for the creators, to
    the team; one permission per item on its work, for each licensed use, until the item's
    expiry; items whose terms say `destroy-models` carry a `delete` duty on the models trained
    on the work. Public: it names the team and the works, never a creator (creators choose
    separately whether public pages name them). `work_ref(work_uuid)` names each item's work
    (by default `urn:uuid:<work uuid>`; the public page passes one that hides unlisted works).
    `odrl_agreement` and `odrl_permissions` are its two parts, for writing a large one
    without holding it whole."""
    return {
        **odrl_agreement(grant, base_url=base_url),
        "permission": list(odrl_permissions(grant, base_url=base_url, work_ref=work_ref)),
    }


def odrl_agreement_uid(grant, *, base_url: str) -> str:
    """The license's public record (transparency app), readable by anyone the policy reaches."""
    return f"{base_url.rstrip('/')}/public/licenses/{grant.uuid}/"


def odrl_agreement(grant, *, base_url: str) -> dict:
    """The policy without its permissions (which come last in it)."""
    base = base_url.rstrip("/")
    license_url = odrl_agreement_uid(grant, base_url=base_url)
    organization = grant.organization
    return {
        "@context": [
            ODRL_CONTEXT,
            {
                "assent": f"{base}{ODRL_PROFILE_PATH}#",
                "dc": "http://purl.org/dc/terms/",
                "vcard": "http://www.w3.org/2006/vcard/ns#",
            },
        ],
        "@type": "Agreement",
        "uid": license_url,
        "profile": f"{base}{ODRL_PROFILE_PATH}",
        "assigner": {
            "@type": "Party",
            "uid": f"{base}/",
            "vcard:fn": "Assent, for the creators of the works",
        },
        "assignee": {
            "@type": "Party",
            "uid": f"{base}/teams/{organization.slug}",
            "vcard:fn": organization.name,
        },
        "dc:issued": _odrl_datetime(grant.starts_at),
    }


def odrl_permissions(grant, *, base_url: str, work_ref=None) -> Iterator[dict]:
    """The permissions of `odrl_policy`, one per item, in item order. Read as plain values, with what items share (parsed terms, actions, dates) built once: a
    package of many thousand items writes this while its shards are being built, on the same
    CPUs."""
    license_url = odrl_agreement_uid(grant, base_url=base_url)
    work_ref = work_ref or (lambda work_uuid: f"urn:uuid:{work_uuid}")
    grace = timedelta(days=settings.LICENSE_DESTRUCTION_GRACE_DAYS)
    parsed: dict[str, tuple] = {}  # terms_hash → (terms, actions)
    dates: dict[datetime, dict] = {}

    def dated(value: datetime) -> dict:
        if value not in dates:
            if len(dates) >= 4096:  # items of a license share a few dates: stay bounded
                dates.clear()
            dates[value] = _odrl_datetime(value)
        return dates[value]

    rows = grant.items.order_by("id").values_list(
        "id", "terms", "terms_hash", "starts_at", "expires_at", "work__uuid"
    )
    for item_id, terms_dict, terms_hash, starts_at, expires_at, work_uuid in rows.iterator(
        chunk_size=2000
    ):
        if terms_hash not in parsed:
            terms = LicenseTerms.from_dict(terms_dict)
            parsed[terms_hash] = (terms, [f"assent:{use}" for use in sorted(terms.uses)])
        terms, actions = parsed[terms_hash]
        constraints = [
            {"leftOperand": "dateTime", "operator": "gteq", "rightOperand": dated(starts_at)},
            {"leftOperand": "dateTime", "operator": "lteq", "rightOperand": dated(expires_at)},
        ]
        if not terms.commercial:
            constraints.append(
                {"leftOperand": "purpose", "operator": "neq", "rightOperand": "assent:commercial"}
            )
        permission = {"target": work_ref(work_uuid), "action": actions, "constraint": constraints}
        if terms.requires_destruction:
            # The duty arises at the item's expiry (gteq) and must be met, with an owner's
            # attestation, by the end of the grace period (lteq): the grace period IS in the
            # second date, so the policy states the real deadline Assent enforces.
            permission["duty"] = [
                {
                    "action": "delete",
                    "target": {
                        "@type": "AssetCollection",
                        "uid": f"{license_url}#models-trained-on-item-{item_id}",
                        "dc:description": "Every model trained on the target work",
                    },
                    "constraint": [
                        {
                            "leftOperand": "dateTime",
                            "operator": "gteq",
                            "rightOperand": dated(expires_at),
                        },
                        {
                            "leftOperand": "dateTime",
                            "operator": "lteq",
                            "rightOperand": dated(expires_at + grace),
                        },
                    ],
                }
            ]
        if terms.attribution_required:
            permission.setdefault("duty", []).append({"action": "attribute"})
        yield permission
