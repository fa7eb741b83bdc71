import json
import stat

from blueprints.operations.verify import _stream_tokens, gateway_url, read_outputs


def test_outputs_come_from_the_pulumi_cli_when_no_file_is_given(tmp_path, monkeypatch):
    fake = tmp_path / "pulumi"
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\necho \'{{"gateway_url": "https://api.example.com"}}\'\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert read_outputs("prod", None) == {"gateway_url": "https://api.example.com"}
    assert (tmp_path / "args").read_text().split() == ["stack", "output", "--json", "--show-secrets", "--stack", "prod"]


def test_gateway_url_prefers_global_then_the_asked_or_primary_region():
    outputs = {"gateway_url": "https://api.example.com/", "regions": {
        "eu-central-1": {"gateway_url": "https://euc1.example.com"}, "eu-west-1": {"gateway_url": "https://euw1"}}}
    assert gateway_url(outputs, None) == "https://api.example.com"
    assert gateway_url(outputs, "eu-west-1") == "https://euw1"
    assert gateway_url({"regions": outputs["regions"]}, None) == "https://euc1.example.com"
    assert gateway_url({}, None) is None


def test_stream_parsing_counts_content_chunks_and_the_end_marker():
    chunk = {"choices": [{"delta": {"content": "po"}}]}
    role_only = {"choices": [{"delta": {"role": "assistant"}}]}
    body = f"data: {json.dumps(role_only)}\n\ndata: {json.dumps(chunk)}\n\n: keep-alive\n\ndata: [DONE]\n\n".encode()
    assert _stream_tokens(body) == (["po"], True)
