"""A fake of bedrock-runtime's ApplyGuardrail on 127.0.0.1, its wire format taken from botocore's own service model
of bedrock-runtime (botocore data/bedrock-runtime/2023-09-30/service-2.json, operation ApplyGuardrail: POST
/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply, restJson1). Every request is checked against the
model's input shape and every answer against its output shape with botocore's ParamValidator, and must be SigV4
signed for service `bedrock`.

Text containing `trigger` is judged VIOLENCE at HIGH confidence and BLOCKED (action GUARDRAIL_INTERVENED, the
blocked messaging as the output); anything else passes (action NONE)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from tests.fakes.local_server import LocalServer, QuietHandler

_MODEL = botocore.session.get_session().get_service_model("bedrock-runtime")
OPERATION = _MODEL.operation_model("ApplyGuardrail")
_URI = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(OPERATION.http["requestUri"])) + "$")
_SIGNED = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z-]+)/"
                     r"aws4_request")


@dataclass(frozen=True)
class Applied:
    identifier: str
    version: str
    region: str
    source: str
    texts: list[str]
    blocked: bool


def _check(params: dict[str, Any], shape: Any) -> None:
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise ValueError(report.generate_report())


class FakeApplyGuardrail(LocalServer[Applied]):
    def __init__(self, trigger: str, blocked_message: str) -> None:
        self.trigger, self.blocked_message = trigger, blocked_message
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = fake.answer(self.path, self.headers.get("Authorization", ""), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    def answer(self, path: str, authorization: str, body: bytes) -> tuple[int, dict[str, Any]]:
        uri = _URI.match(path)
        signed = _SIGNED.match(authorization)
        if uri is None or signed is None or signed["service"] != "bedrock":
            return 403, {"message": f"unsigned or unknown request {path}"}
        request = {**json.loads(body), **uri.groupdict()}
        try:
            _check(request, OPERATION.input_shape)
        except ValueError as error:
            return 400, {"message": str(error)}
        texts = [item["text"]["text"] for item in request["content"] if "text" in item]
        blocked = any(self.trigger in text for text in texts)
        self.record(Applied(request["guardrailIdentifier"], request["guardrailVersion"], signed["region"],
                            request["source"], texts, blocked))
        usage = {key: 1 if key == "contentPolicyUnits" else 0
                 for key in OPERATION.output_shape.members["usage"].required_members}
        if not blocked:
            answer: dict[str, Any] = {"usage": usage, "action": "NONE", "outputs": [], "assessments": []}
        else:
            answer = {"usage": usage, "action": "GUARDRAIL_INTERVENED", "outputs": [{"text": self.blocked_message}],
                      "assessments": [{"contentPolicy": {"filters": [
                          {"type": "VIOLENCE", "confidence": "HIGH", "filterStrength": "HIGH", "action": "BLOCKED",
                           "detected": True}]}}]}
        _check(answer, OPERATION.output_shape)
        return 200, answer
