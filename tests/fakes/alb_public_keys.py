"""The ELB public-key endpoint (`https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`: the PEM of the key an
ALB signs its `x-amzn-oidc-data` assertions with) on 127.0.0.1, and an ALB's signer: an ES256 key pair made here that
signs assertions the way an ALB does (header `alg`, `kid`, `signer`; AWS docs, "Authenticate users using an
Application Load Balancer", User claims encoding and signature verification)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.fakes.local_server import LocalServer, QuietHandler


def _segment(data: bytes, padded: bool = False) -> str:
    encoded = base64.urlsafe_b64encode(data).decode()
    return encoded if padded else encoded.rstrip("=")


class AlbSigner:
    def __init__(self, kid: str, arn: str) -> None:
        self.kid, self.arn = kid, arn
        self.private_key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_pem(self) -> str:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def assertion(self, claims: dict[str, Any], *, signer: str | None = None, kid: str | None = None,
                  padded: bool = False) -> str:
        """An `x-amzn-oidc-data` value: the user-info claims, signed; `signer`/`kid` override the header's;
        `padded`: base64url segments keep their `=` padding (AWS's docs warn that ALB assertions may)."""
        header = {"alg": "ES256", "typ": "JWT", "kid": kid or self.kid, "signer": signer or self.arn,
                  "iss": "https://idp.example.com", "client": "llm-gateway"}
        payload = {**claims, "exp": int(time.time()) + 600}
        signing_input = ".".join(_segment(json.dumps(part).encode(), padded) for part in (header, payload))
        r, s = decode_dss_signature(self.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        # JWS ES256 (RFC 7518 section 3.4): the signature is R and S, 32 bytes each, not DER.
        return f"{signing_input}.{_segment(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'), padded)}"


class FakeAlbPublicKeys(LocalServer[str]):
    """Serves `keys[kid]` at `/<kid>`; records the kids asked for."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                kid = self.path.lstrip("/")
                fake.record(kid)
                pem = fake.keys.get(kid)
                data = (pem or "not found").encode()
                self.send_response(200 if pem else 404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)
