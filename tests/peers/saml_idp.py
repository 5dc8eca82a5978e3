"""A SAML 2.0 identity provider for the tests, built on pysaml2 (an implementation independent
of the one under test; it signs with Debian's xmlsec1).

    python saml_idp.py

Listens on 127.0.0.1 (a free port), prints its base URL on stdout once it accepts
connections, and runs until its standard input closes or it is killed. Its signing key and
certificate are made at start-up, and so is a second ("rogue") pair that the IdP metadata
does not list.

    GET  /metadata            the IdP metadata (entity id, HTTP-Redirect SSO URL, certificate)
    POST /sp                  body: the SP metadata XML; the IdP trusts that SP from now on
    GET  /sso?SAMLRequest=…&RelayState=…&user=…&variant=…&groups=a,b
                              the HTTP-Redirect binding: decodes and checks the AuthnRequest
                              with pysaml2 and answers JSON {acs_url, SAMLResponse,
                              RelayState, request_id} for the browser to POST to the ACS
    GET  /unsolicited?sp=…&user=…&variant=…
                              an IdP-initiated response (no InResponseTo), same JSON

`variant` picks how the response is signed and, for the attack tests, how it is broken after
(or before) signing; see VARIANTS. Every response starts as a real pysaml2 authn response.
"""

import base64
import copy
import datetime
import json
import os
import sys
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.sigver import pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
ASSERTION_NODE = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
AUTHN = {
    "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    "authn_auth": "",
}


def key_pair(directory, name):
    """A self-signed RSA certificate and its key, as PEM files; returns (key, cert) paths."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"janua-test-{name}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path = os.path.join(directory, f"{name}.key")
    cert_path = os.path.join(directory, f"{name}.crt")
    with open(key_path, "wb") as file:
        file.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    with open(cert_path, "wb") as file:
        file.write(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def cert_base64(cert_path):
    """The certificate as the bare base64 DER that KeyInfo carries."""
    with open(cert_path, "rb") as file:
        cert = x509.load_pem_x509_certificate(file.read())
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


class Idp:
    """The pysaml2 IdP plus the variants the tests ask for."""

    def __init__(self, base_url, directory):
        self.base_url = base_url
        self.directory = directory
        self.key, self.cert = key_pair(directory, "idp")
        self.rogue_key, self.rogue_cert = key_pair(directory, "rogue")
        self.sp_metadata = []
        self.lock = threading.Lock()
        self.server = self.make_server()

    def make_server(self):
        config = IdPConfig()
        config.load(
            {
                "entityid": f"{self.base_url}/metadata",
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(f"{self.base_url}/sso", BINDING_HTTP_REDIRECT)]
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
                        "want_authn_requests_signed": False,
                    }
                },
                "key_file": self.key,
                "cert_file": self.cert,
                "metadata": {"inline": list(self.sp_metadata)},
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "delete_tmpfiles": True,
            }
        )
        return Server(config=config)

    def metadata(self):
        from saml2.metadata import entity_descriptor

        return str(entity_descriptor(self.server.config)).encode()

    def trust_sp(self, xml):
        with self.lock:
            self.sp_metadata.append(xml)
            self.server = self.make_server()

    def sso(self, query):
        request = self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
        message = request.message
        args = self.server.response_args(message, [BINDING_HTTP_POST])
        return self.respond(
            sp_entity_id=args["sp_entity_id"],
            destination=args["destination"],
            in_response_to=args["in_response_to"],
            query=query,
            extra={"request_id": message.id},
        )

    def unsolicited(self, query):
        sp = query["sp"]
        acs = self.server.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)[0]["location"]
        return self.respond(sp_entity_id=sp, destination=acs, in_response_to=None, query=query, extra={})

    def respond(self, sp_entity_id, destination, in_response_to, query, extra):
        user = query.get("user", "ada@example.com")
        groups = [g for g in query.get("groups", "").split(",") if g]
        identity = {"email": [user], "givenName": ["Ada"], "sn": ["Lovelace"], "groups": groups}
        # pysaml2 builds the real response unsigned; sign() adds the signatures the variant asks
        # for, so that a variant can change what is signed before signing it.
        xml = self.server.create_authn_response(
            identity,
            in_response_to=in_response_to,
            destination=destination,
            sp_entity_id=sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=user),
            authn=AUTHN,
            sign_response=False,
            sign_assertion=False,
        )
        root = etree.fromstring(str(xml).encode())
        variant = query.get("variant", "signed_assertion")
        document = VARIANTS[variant](self, root)
        if isinstance(document, etree._Element):
            document = etree.tostring(document)
        return {
            "acs_url": destination,
            "SAMLResponse": base64.b64encode(document).decode(),
            "RelayState": query.get("RelayState", ""),
            **extra,
        }

    def sign(self, root, assertion=True, response=False, key=None, cert=None):
        """Signs the assertion and/or the response (assertion first: the response signature
        covers the signed assertion), with the IdP key unless another is given."""
        key = key or self.key
        cert = cert or self.cert
        if assertion:
            add_signature_template(first(root, "saml:Assertion"), cert)
        if response:
            add_signature_template(root, cert)
        xml = etree.tostring(root).decode()
        if assertion:
            xml = self.server.sec.sign_statement(
                xml, ASSERTION_NODE, key_file=key, node_id=first(root, "saml:Assertion").get("ID")
            )
        if response:
            xml = self.server.sec.sign_statement(xml, RESPONSE_NODE, key_file=key, node_id=root.get("ID"))
        return etree.fromstring(xml.encode() if isinstance(xml, str) else xml)


def first(root, path):
    return root.find(f".//{path}", NS)


def add_signature_template(element, cert_path):
    """An enveloped-signature template (RSA-SHA256, exclusive c14n) right after Issuer."""
    template = pre_signature_part(
        ident=element.get("ID"),
        public_key=cert_base64(cert_path),
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    signature = etree.fromstring(str(template).encode())
    issuer = element.find("saml:Issuer", NS)
    element.insert(list(element).index(issuer) + 1, signature)


def shift(root, attribute, delta):
    """Moves every `attribute` timestamp in the document by `delta`."""
    for element in root.iter():
        value = element.get(attribute)
        if value:
            moved = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ") + delta
            element.set(attribute, moved.strftime("%Y-%m-%dT%H:%M:%SZ"))


def evil_copy(assertion, user="root@evil.example"):
    """A copy of `assertion` with another subject and ID and no signature."""
    evil = copy.deepcopy(assertion)
    for signature in evil.findall("ds:Signature", NS):
        evil.remove(signature)
    evil.set("ID", "_evil" + uuid.uuid4().hex)
    evil.find("saml:Subject/saml:NameID", NS).text = user
    for value in evil.iterfind(".//saml:AttributeValue", NS):
        if value.text and "@" in value.text:
            value.text = user
    return evil


def signed_assertion(idp, root):
    return idp.sign(root)


def signed_response(idp, root):
    return idp.sign(root, assertion=False, response=True)


def signed_both(idp, root):
    return idp.sign(root, assertion=True, response=True)


def unsigned(idp, root):
    return root


def rogue_signature(idp, root):
    return idp.sign(root, key=idp.rogue_key, cert=idp.rogue_cert)


def tampered_after_signing(idp, root):
    signed = idp.sign(root)
    name_id = first(signed, "saml:Subject/saml:NameID")
    name_id.text = "root+" + name_id.text
    return signed


def wrong_audience(idp, root):
    first(root, "saml:Audience").text = "https://someone-else.example/metadata"
    return idp.sign(root)


def no_audience(idp, root):
    conditions = first(root, "saml:Conditions")
    for restriction in conditions.findall("saml:AudienceRestriction", NS):
        conditions.remove(restriction)
    return idp.sign(root)


def wrong_destination(idp, root):
    root.set("Destination", "https://someone-else.example/acs")
    return idp.sign(root, assertion=True, response=True)


def wrong_recipient(idp, root):
    first(root, "saml:SubjectConfirmationData").set("Recipient", "https://someone-else.example/acs")
    return idp.sign(root)


def expired(idp, root):
    for attribute in ("IssueInstant", "NotBefore", "NotOnOrAfter", "AuthnInstant"):
        shift(root, attribute, datetime.timedelta(minutes=-20))
    return idp.sign(root)


def not_yet_valid(idp, root):
    for attribute in ("IssueInstant", "NotBefore", "NotOnOrAfter", "AuthnInstant"):
        shift(root, attribute, datetime.timedelta(minutes=10))
    # pysaml2 leaves NotBefore out of the confirmation data; the Conditions carry it.
    return idp.sign(root)


def wrong_in_response_to(idp, root):
    unknown = "_unknown" + uuid.uuid4().hex
    root.set("InResponseTo", unknown)
    first(root, "saml:SubjectConfirmationData").set("InResponseTo", unknown)
    return idp.sign(root, assertion=True, response=True)


def failed_status(idp, root):
    first(root, "samlp:StatusCode").set("Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
    return idp.sign(root, assertion=True, response=True)


def encrypted_assertion(idp, root):
    """An EncryptedAssertion beside nothing else: Janua does not decrypt, so it must refuse."""
    signed = idp.sign(root, assertion=True, response=False)
    assertion = first(signed, "saml:Assertion")
    wrapper = etree.SubElement(signed, f"{{{NS['saml']}}}EncryptedAssertion")
    signed.remove(assertion)
    etree.SubElement(wrapper, "{http://www.w3.org/2001/04/xmlenc#}EncryptedData").text = "AAAA"
    return signed


def comment_in_name_id(idp, root):
    """Signed for ada@example.com.evil, then a comment splits the NameID: exclusive c14n drops
    comments, so the signature still holds; a reader that takes the first text node sees
    ada@example.com (the classic comment-truncation attack)."""
    name_id = first(root, "saml:Subject/saml:NameID")
    name_id.text = name_id.text + ".evil.example"
    signed = idp.sign(root)
    text = first(signed, "saml:Subject/saml:NameID")
    user, _, rest = text.text.partition(".evil.example")
    text.text = user
    comment = etree.Comment("x")
    comment.tail = ".evil.example" + rest
    text.append(comment)
    return signed


def doctype_xxe(idp, root):
    signed = etree.tostring(idp.sign(root)).decode()
    signed = signed.replace("Ada</saml:AttributeValue>", "&xxe;</saml:AttributeValue>", 1)
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + signed
    ).encode()


# The XML Signature Wrapping family (Somorovsky et al., "On Breaking SAML", 2012), as SAML
# Raider names them: XSW1-2 wrap a signed Response, XSW3-8 a signed Assertion.


def xsw1(idp, root):
    """Evil Response at the root; the signed original Response inside its Signature."""
    signed = idp.sign(root, assertion=False, response=True)
    evil = copy.deepcopy(signed)
    evil.set("ID", "_evil" + uuid.uuid4().hex)
    evil_signature = evil.find("ds:Signature", NS)
    original = copy.deepcopy(signed)
    evil_signature.append(original)
    evil_assertion = evil.find("saml:Assertion", NS)
    evil.replace(evil_assertion, evil_copy(evil_assertion))
    return evil


def xsw2(idp, root):
    """Like XSW1, with the signed original Response a sibling before the Signature."""
    signed = idp.sign(root, assertion=False, response=True)
    evil = copy.deepcopy(signed)
    evil.set("ID", "_evil" + uuid.uuid4().hex)
    evil_signature = evil.find("ds:Signature", NS)
    original = copy.deepcopy(signed)
    original.remove(original.find("ds:Signature", NS))
    evil.insert(list(evil).index(evil_signature), original)
    evil_assertion = evil.find("saml:Assertion", NS)
    evil.replace(evil_assertion, evil_copy(evil_assertion))
    return evil


def xsw3(idp, root):
    """Evil Assertion before the signed one, as a sibling."""
    signed = idp.sign(root)
    assertion = signed.find("saml:Assertion", NS)
    signed.insert(list(signed).index(assertion), evil_copy(assertion))
    return signed


def xsw4(idp, root):
    """Evil Assertion in place of the signed one, which it wraps."""
    signed = idp.sign(root)
    assertion = signed.find("saml:Assertion", NS)
    evil = evil_copy(assertion)
    signed.replace(assertion, evil)
    evil.append(assertion)
    return signed


def xsw5(idp, root):
    """The signed Assertion's content changed in place (its Signature kept); an unchanged copy
    without signature appended to the Response for the reference to find."""
    signed = idp.sign(root)
    assertion = signed.find("saml:Assertion", NS)
    original = copy.deepcopy(assertion)
    original.remove(original.find("ds:Signature", NS))
    assertion.find("saml:Subject/saml:NameID", NS).text = "root@evil.example"
    signed.append(original)
    return signed


def xsw6(idp, root):
    """Like XSW5, with the unchanged copy inside the changed Assertion's Signature."""
    signed = idp.sign(root)
    assertion = signed.find("saml:Assertion", NS)
    original = copy.deepcopy(assertion)
    original.remove(original.find("ds:Signature", NS))
    assertion.find("saml:Subject/saml:NameID", NS).text = "root@evil.example"
    assertion.find("ds:Signature", NS).append(original)
    return signed


def xsw7(idp, root):
    """The signed Assertion moved into an Extensions element; an evil one in its place."""
    signed = idp.sign(root)
    assertion = signed.find("saml:Assertion", NS)
    extensions = etree.Element(f"{{{NS['samlp']}}}Extensions")
    signed.replace(assertion, evil_copy(assertion))
    extensions.append(assertion)
    signed.insert(1, extensions)
    return signed


def xsw8(idp, root):
    """Changed Assertion keeps the Signature; the unchanged copy sits in a ds:Object in it."""
    signed = idp.sign(root)
    assertion = signed.find("saml:Assertion", NS)
    original = copy.deepcopy(assertion)
    original.remove(original.find("ds:Signature", NS))
    assertion.find("saml:Subject/saml:NameID", NS).text = "root@evil.example"
    holder = etree.SubElement(assertion.find("ds:Signature", NS), f"{{{NS['ds']}}}Object")
    holder.append(original)
    return signed


def duplicated_assertion(idp, root):
    """Two copies of the same signed Assertion (same ID) side by side."""
    signed = idp.sign(root)
    assertion = signed.find("saml:Assertion", NS)
    signed.append(copy.deepcopy(assertion))
    return signed


def duplicate_id(idp, root):
    """An Extensions element, before the signed Assertion, carrying an element with the
    assertion's ID: an ID lookup that takes the first match would digest the wrong element."""
    signed = idp.sign(root)
    assertion = signed.find("saml:Assertion", NS)
    extensions = etree.Element(f"{{{NS['samlp']}}}Extensions")
    etree.SubElement(extensions, "{urn:example:evil}Decoy").set("ID", assertion.get("ID"))
    signed.insert(1, extensions)
    return signed


def unsigned_assertion_in_signed_response_extra(idp, root):
    """A signed Response whose signed Assertion has an unsigned evil Assertion beside it,
    added after signing."""
    signed = idp.sign(root, assertion=False, response=True)
    assertion = signed.find("saml:Assertion", NS)
    signed.append(evil_copy(assertion))
    return signed


VARIANTS = {
    "signed_assertion": signed_assertion,
    "signed_response": signed_response,
    "signed_both": signed_both,
    "unsigned": unsigned,
    "rogue_signature": rogue_signature,
    "tampered_after_signing": tampered_after_signing,
    "wrong_audience": wrong_audience,
    "no_audience": no_audience,
    "wrong_destination": wrong_destination,
    "wrong_recipient": wrong_recipient,
    "expired": expired,
    "not_yet_valid": not_yet_valid,
    "wrong_in_response_to": wrong_in_response_to,
    "failed_status": failed_status,
    "encrypted_assertion": encrypted_assertion,
    "comment_in_name_id": comment_in_name_id,
    "doctype_xxe": doctype_xxe,
    "xsw1": xsw1,
    "xsw2": xsw2,
    "xsw3": xsw3,
    "xsw4": xsw4,
    "xsw5": xsw5,
    "xsw6": xsw6,
    "xsw7": xsw7,
    "xsw8": xsw8,
    "duplicated_assertion": duplicated_assertion,
    "duplicate_id": duplicate_id,
    "unsigned_assertion_in_signed_response_extra": unsigned_assertion_in_signed_response_extra,
}


class Handler(BaseHTTPRequestHandler):
    idp = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if url.path == "/metadata":
                self.answer(200, self.idp.metadata(), "application/samlmetadata+xml")
            elif url.path == "/sso":
                self.answer_json(self.idp.sso(query))
            elif url.path == "/unsolicited":
                self.answer_json(self.idp.unsolicited(query))
            else:
                self.answer(404, b"not found", "text/plain")
        except Exception as error:  # the test reads the reason
            self.answer(500, repr(error).encode(), "text/plain")

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length).decode()
        if urlparse(self.path).path == "/sp":
            self.idp.trust_sp(body)
            self.answer(204, b"", "text/plain")
        else:
            self.answer(404, b"not found", "text/plain")

    def answer_json(self, body):
        self.answer(200, json.dumps(body).encode(), "application/json")

    def answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    with tempfile.TemporaryDirectory() as directory:
        Handler.idp = Idp(base_url, directory)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        print(base_url, flush=True)
        sys.stdin.read()
        httpd.shutdown()


if __name__ == "__main__":
    main()
