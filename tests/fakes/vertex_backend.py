"""Local fakes of Google's OAuth token endpoint and Vertex AI's Gemini API for tests (standard library + cryptography).

`FakeGoogleOAuth` answers the service-account JWT-bearer grant (RFC 7523) that google-auth sends to a credential's
`token_uri`: it checks the assertion's RS256 signature with the throwaway key it made, and issues an access token.
`service_account_json()` is a service-account key file (the fields google.oauth2.service_account reads) whose
`token_uri` points here. `FakeVertexGemini` answers
`POST .../publishers/google/models/<model>:generateContent` (and `:streamGenerateContent?alt=sse`, one
`data: <json>` event per token), as LiteLLM 1.81.16 calls it: with a custom `api_base` the URL is
`<api_base>:<endpoint>` (litellm/llms/vertex_ai/vertex_llm_base.py `_check_custom_proxy`); bodies shaped as
litellm/types/llms/vertex_ai.py GenerateContentResponseBody / Candidates / UsageMetadata.

The answer to a request for N tokens (`generationConfig.max_output_tokens`, default 16) is N tokens `"vertex<i> "`.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.local_server import LocalServer, QuietHandler

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The assertion's audience is Google's token endpoint whatever the token_uri (google-auth 2.63.0,
# google/oauth2/service_account.py `_make_authorization_grant_assertion`).
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
DEFAULT_MAX_TOKENS = 16
MAX_TOKENS_CEILING = 4096


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def _json_reply(handler: QuietHandler, status: HTTPStatus, payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeGoogleOAuth(LocalServer[RecordedRequest]):
    """The token endpoint on 127.0.0.1; `issued` lists the access tokens it gave out, `scopes` the scopes asked."""

    def __init__(self, client_email: str = "gateway@example-project.iam.gserviceaccount.com") -> None:
        self.client_email = client_email
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issued: list[str] = []
        self.scopes: list[str] = []
        oauth = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                form = {k: v[0] for k, v in parse_qs(self.read_body().decode()).items()}
                oauth.record(RecordedRequest(self.path, self.lower_headers(), form))
                claims = oauth._verified_claims(form)
                if claims is None:
                    _json_reply(self, HTTPStatus.BAD_REQUEST, {"error": "invalid_grant"})
                    return
                token = f"ya29.fake-{secrets.token_hex(8)}"
                oauth.scopes.append(claims.get("scope", ""))
                oauth.issued.append(token)
                _json_reply(self, HTTPStatus.OK, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

        super().__init__(Handler)

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def _verified_claims(self, form: dict[str, str]) -> dict[str, Any] | None:
        """The assertion's claims if it is a JWT-bearer grant of this account signed by its key, else None."""
        if form.get("grant_type") != JWT_BEARER or form.get("assertion", "").count(".") != 2:
            return None
        header, claims, signature = form["assertion"].split(".")
        try:
            self._key.public_key().verify(_b64decode(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(),
                                          hashes.SHA256())
        except InvalidSignature:
            return None
        payload = json.loads(_b64decode(claims))
        granted = payload.get("aud") == GOOGLE_TOKEN_AUDIENCE and payload.get("iss") == self.client_email
        return payload if granted else None

    def service_account_json(self, project: str) -> str:
        """A service-account key file for `project` signed by this fake's key, its token_uri pointing here."""
        pem = self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
        return json.dumps({"type": "service_account", "project_id": project, "private_key_id": "fake-key-1",
                           "private_key": pem, "client_email": self.client_email, "client_id": "1",
                           "token_uri": self.token_uri})


def _tokens(body: dict[str, Any]) -> list[str]:
    config = body.get("generationConfig") or {}
    count = min(int(config.get("max_output_tokens") or config.get("maxOutputTokens") or DEFAULT_MAX_TOKENS),
                MAX_TOKENS_CEILING)
    return [f"vertex{index} " for index in range(count)]


def usage(body: dict[str, Any], output_tokens: int) -> dict[str, int]:
    """The fake's usageMetadata: prompt tokens are the words of `contents`."""
    prompt = max(1, len(json.dumps(body.get("contents", [])).split()))
    return {"promptTokenCount": prompt, "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt + output_tokens}


class FakeVertexGemini(LocalServer[RecordedRequest]):
    """Vertex AI's Gemini generateContent / streamGenerateContent on 127.0.0.1."""

    def __init__(self) -> None:
        backend = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = json.loads(self.read_body() or b"{}")
                backend.record(RecordedRequest(self.path, self.lower_headers(), body))
                route, _, query = self.path.partition("?")
                model, _, method = route.rpartition("/")[2].partition(":")
                tokens, response_id = _tokens(body), uuid.uuid4().hex[:16]
                if method == "generateContent":
                    _json_reply(self, HTTPStatus.OK, {
                        "candidates": [{"index": 0, "finishReason": "MAX_TOKENS", "content": {
                            "role": "model", "parts": [{"text": "".join(tokens)}]}}],
                        "usageMetadata": usage(body, len(tokens)), "modelVersion": model, "responseId": response_id})
                elif method == "streamGenerateContent" and query == "alt=sse":
                    self._stream(body, tokens, model, response_id)
                else:
                    _json_reply(self, HTTPStatus.NOT_FOUND, {"error": {
                        "code": 404, "status": "NOT_FOUND", "message": f"no route {self.path}"}})

            def _stream(self, body: dict[str, Any], tokens: list[str], model: str, response_id: str) -> None:
                self.send_response(HTTPStatus.OK)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                for index, token in enumerate(tokens):
                    last = index == len(tokens) - 1
                    candidate = {"index": 0, "content": {"role": "model", "parts": [{"text": token}]},
                                 **({"finishReason": "MAX_TOKENS"} if last else {})}
                    event = {"candidates": [candidate], "modelVersion": model, "responseId": response_id,
                             "usageMetadata": usage(body, index + 1)}
                    self.wfile.write(f"data: {json.dumps(event)}\r\n\r\n".encode())
                    self.wfile.flush()
                self.close_connection = True

        super().__init__(Handler)
