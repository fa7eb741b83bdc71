"""People calling models with their ALB sign-in, as members of the team their IdP group maps to (issue 22 s2,
`gateway.sso.group_teams`, blueprints/gateway/alb_identity_auth.py): the session's real DB-mode proxy
(tests/access/conftest.py) trusting an ALB signer made here, whose public key the fake ELB key endpoint on 127.0.0.1
serves, with the group mapping of a rendered gateway ConfigMap beside its hooks; teams are LiteLLM's own
(/team/new of 1.81.16), as the reconciler Job creates them."""

from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from blueprints.gateway.alb_identity_auth import ASSERTION_HEADER, GROUP_TEAMS_FILE
from blueprints.gateway.manifests import config_map
from blueprints.gateway.sso import PEOPLE_MODEL_PATH
from blueprints.presets import load_spec
from tests.access.conftest import ALB_ARN, Gateway
from tests.fakes.alb_public_keys import AlbSigner, FakeAlbPublicKeys

GROUP_TEAMS = {"llm-research": "sso-research", "llm-ops": "sso-ops"}
"""In spec order: a person in both groups belongs to sso-research."""
KID = "3f4a7c2e-1b5d-4e8f-9a6b-0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def people(db_gateway: Gateway, alb_keys: FakeAlbPublicKeys) -> tuple[Gateway, AlbSigner]:
    """The DB-mode gateway with the rendered group mapping beside its hooks, two teams in its database, and the
    ALB signer whose key the endpoint serves."""
    teams = [{"name": name, "models": ["reg-small"], "max_budget_usd": 10} for name in GROUP_TEAMS.values()]
    spec = load_spec("regulated-industry", "prod", overrides={"access": {"teams": teams},
                                                               "gateway": {"sso": {"group_teams": GROUP_TEAMS}}})
    mapping = config_map(spec, spec.regions[0], {})["data"][GROUP_TEAMS_FILE]
    (db_gateway.master_key_file.parent / GROUP_TEAMS_FILE).write_text(mapping)
    for team, models in (("sso-research", ["chat-openai"]), ("sso-ops", ["chat-anthropic"])):
        status, created = db_gateway.call("/team/new", {"team_id": team, "team_alias": team, "models": models})
        assert status == 200, created
    signer = AlbSigner(KID, ALB_ARN)
    alb_keys.keys[KID] = signer.public_pem
    return db_gateway, signer


def _call(gateway: Gateway, model: str, headers: dict[str, str], path: str = PEOPLE_MODEL_PATH) -> tuple[int, dict]:
    body = {"model": model, "max_tokens": 3, "messages": [{"role": "user", "content": "hello"}]}
    request = Request(f"{gateway.url}{path}", data=json.dumps(body).encode(), method="POST",
                      headers={"Content-Type": "application/json", **headers})
    try:
        with urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


PERSON = {"sub": "8d2c0b7e", "email": "ana@example.com", "groups": ["staff", "llm-ops", "llm-research"]}


@pytest.mark.integration
def test_a_signed_in_person_calls_the_models_of_their_first_mapped_team(people) -> None:
    gateway, signer = people
    before = gateway.backend.request_count
    for padded in (False, True):
        assertion = signer.assertion(PERSON, padded=padded)
        assert ("=" in assertion) == padded  # the 64-byte ES256 signature always pads
        status, answer = _call(gateway, "chat-openai", {ASSERTION_HEADER: assertion})
        assert status == 200, answer
    assert gateway.backend.request_count == before + 2
    # sso-ops (the person's other group) allows only chat-anthropic: the first group in spec order decides.
    status, refused = _call(gateway, "chat-anthropic", {ASSERTION_HEADER: signer.assertion(PERSON)})
    assert (status, refused["error"]["type"]) == (401, "team_model_access_denied"), refused
    assert "['chat-openai']" in refused["error"]["message"]  # sso-research's allowlist
    assert gateway.backend.request_count == before + 2


@pytest.mark.integration
@pytest.mark.parametrize(("case", "status", "says"), [
    ("forged", 401, "does not verify"),
    ("other load balancer", 401, "not this gateway's load balancer"),
    ("no mapped group", 403, "none of your groups (staff) is mapped"),
    ("admin route", 403, "needs a key"),
])
def test_assertions_that_do_not_name_a_team_member_are_refused(people, case: str, status: int, says: str) -> None:
    gateway, signer = people
    assertion = {
        "forged": lambda: AlbSigner(KID, ALB_ARN).assertion(PERSON),
        "other load balancer": lambda: signer.assertion(PERSON, signer=ALB_ARN.replace("gateway", "other")),
        "no mapped group": lambda: signer.assertion({**PERSON, "groups": ["staff"]}),
        "admin route": lambda: signer.assertion(PERSON),
    }[case]()
    before = gateway.backend.request_count
    path = "/key/generate" if case == "admin route" else PEOPLE_MODEL_PATH
    got, refused = _call(gateway, "chat-openai", {ASSERTION_HEADER: assertion}, path)
    assert got == status and says in refused["error"]["message"], refused
    assert gateway.backend.request_count == before


@pytest.mark.integration
def test_without_an_assertion_keys_work_as_before(people) -> None:
    gateway, _ = people
    status, issued = gateway.call("/key/generate", {"team_id": "sso-research"})
    assert status == 200, issued
    status, answer = _call(gateway, "chat-openai", {"Authorization": f"Bearer {issued['key']}"})
    assert status == 200, answer
    status, refused = _call(gateway, "chat-openai", {})
    assert status == 401, refused
