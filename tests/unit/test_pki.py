import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tenantguard.webhook import pki


def test_client_certificate_carries_user_and_groups_signed_by_the_ca() -> None:
    ca = pki.new_authority("test-ca")
    pair = pki.issue_client(ca, user="alice", groups=("acme-devs",))
    cert = x509.load_pem_x509_certificate(pair.cert_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "alice"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "acme-devs"
    assert cert.issuer == ca.cert.subject
    cert.verify_directly_issued_by(ca.cert)
    usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_serving_certificate_names_loopback() -> None:
    ca = pki.new_authority("test-ca")
    pair = pki.issue_serving(ca, common_name="x", dns_names=("localhost",), ip_addresses=("127.0.0.1",))
    sans = (
        x509.load_pem_x509_certificate(pair.cert_pem)
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]


def test_authority_is_a_ca() -> None:
    ca = pki.new_authority("test-ca")
    constraints = ca.cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca
    assert isinstance(ca.key, ec.EllipticCurvePrivateKey)


def test_private_files_are_owner_only_even_when_they_existed(tmp_path: Path) -> None:
    target = tmp_path / "k.key"
    target.write_text("old")
    target.chmod(0o644)
    pki.write_private(target, b"secret")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes() == b"secret"


def test_write_pair_writes_certificate_public_and_key_private(tmp_path: Path) -> None:
    pair = pki.issue_client(pki.new_authority("test-ca"), user="u")
    cert, key = pki.write_pair(tmp_path / "pki", "u", pair)
    assert stat.S_IMODE(cert.stat().st_mode) == 0o644
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
