"""Test helper: sign images with a C2PA manifest using a throwaway certificate chain.

Owns the on-the-fly test PKI (an EC P-256 CA plus a leaf it issues) and ``sign_image``,
which embeds a signed manifest into JPEG/PNG/WebP bytes. Nothing here touches the network:
no timestamp authority is configured, so manifests carry only the signer's own time claim.

c2pa-rs refuses a bare self-signed leaf, and checks the leaf's profile: it must be an
end-entity (no CA basic constraint), carry ``digitalSignature`` and an allowed extended key
usage (``emailProtection`` here), and name its issuer via an authority key identifier. The
signer is handed the PEM chain leaf-first, CA last.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# c2pa-rs (C2PA 2.x rules) refuses a c2pa.created action without a digitalSourceType, so a
# caller who names none gets the plain "a camera took it" type.
DIGITAL_CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"

# The labels the training-mining assertion has gone by: CAWG's current one first, the
# C2PA 1.x one as a fallback for library versions that reject the CAWG label.
TRAINING_MINING_LABELS = ("cawg.training-mining", "c2pa.training-mining")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Assent Tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@functools.lru_cache(maxsize=1)
def signing_chain() -> tuple[bytes, bytes]:
    """Return ``(chain_pem, leaf_private_key_pem)``; generated once per test session."""
    now = dt.datetime.now(dt.UTC)
    # Back-date a little so clock skew between generation and validation can't matter.
    not_before = now - dt.timedelta(days=1)
    not_after = now + dt.timedelta(days=30)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Assent Test CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Assent Test Signer"))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    chain_pem = leaf_cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return chain_pem, key_pem


def _signer() -> c2pa.Signer:
    # A fresh Signer per call is cheap (the key generation is cached in signing_chain()) and
    # keeps no native handle alive across tests or forked workers.
    chain_pem, key_pem = signing_chain()
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain_pem, key_pem, None)
    return c2pa.Signer.from_info(info)


def _sign_with(manifest: dict, image_bytes: bytes, mime_type: str) -> bytes:
    dest = io.BytesIO()
    with c2pa.Builder(json.dumps(manifest)) as builder, _signer() as signer:
        builder.sign(signer, mime_type, io.BytesIO(image_bytes), dest)
    return dest.getvalue()


def sign_image(
    image_bytes: bytes,
    mime_type: str = "image/jpeg",
    *,
    digital_source_type: str | None = None,
    training_mining: dict[str, str] | None = None,
    claim_generator: str = "AssentTests/1.0",
    title: str = "test",
    training_mining_label: str | None = None,
) -> bytes:
    """Return ``image_bytes`` with an embedded, signed C2PA manifest.

    The manifest holds a ``c2pa.actions`` assertion with one ``c2pa.created`` action whose
    ``digitalSourceType`` is ``digital_source_type`` (``DIGITAL_CAPTURE`` when not given: the
    library refuses a created action without one) and, when ``training_mining`` is given
    (entry name -> use, e.g. ``{"cawg.ai_training": "notAllowed"}``), a training-mining
    assertion, labelled ``training_mining_label`` if given, else the first label in
    ``TRAINING_MINING_LABELS`` the library accepts.
    """
    name, _, version = claim_generator.partition("/")
    generator = {"name": name, **({"version": version} if version else {})}
    action = {
        "action": "c2pa.created",
        "digitalSourceType": digital_source_type or DIGITAL_CAPTURE,
    }
    base = {
        "claim_generator_info": [generator],
        "title": title,
        "format": mime_type,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [action]}}],
    }
    if not training_mining:
        return _sign_with(base, image_bytes, mime_type)

    entries = {entry: {"use": use} for entry, use in training_mining.items()}
    last_error: Exception | None = None
    labels = (training_mining_label,) if training_mining_label else TRAINING_MINING_LABELS
    for label in labels:
        manifest = {
            **base,
            "assertions": [*base["assertions"], {"label": label, "data": {"entries": entries}}],
        }
        try:
            return _sign_with(manifest, image_bytes, mime_type)
        except c2pa.C2paError as exc:
            # Only an objection to the label itself is worth a retry under the old label.
            if "training-mining" not in str(exc):
                raise
            last_error = exc
    assert last_error is not None
    raise last_error
