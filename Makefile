# The README's commands. Everything runs offline: no cloud credentials, no Pulumi CLI.
PYTHON ?= python3
# The interpreter's real path: venvs made through a launcher shim (pyenv) by name can link the wrong base Python.
BASE_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
VENV := .venv
PY := $(VENV)/bin/python
PRESET ?= regulated-industry
ENV ?= prod
FORMAT ?= text
OUT ?= out/$(PRESET)-$(ENV)
# LiteLLM in its own virtualenv: litellm[proxy] pins boto3 older than the project's. Version: see versions.py.
LITELLM_VENV := .venv-litellm
# LiteLLM's image installs the OpenTelemetry SDK (its requirements.txt): the regulated configs trace with it (here the
# release this venv's fastapi accepts, >= 1.44).
# google-auth: Vertex AI's service-account tokens (litellm/llms/vertex_ai/vertex_llm_base.py imports it; LiteLLM's
# `google` extra, google-cloud-aiplatform>=1.38.0, requires google-auth>=2.14.1,<3: the latest 2.x release).
LITELLM_PACKAGES := "litellm[proxy]==1.81.16" prometheus_client==0.23.1 opentelemetry-sdk==1.45.2 \
	opentelemetry-exporter-otlp==1.45.2 google-auth==2.63.0
# checkov in its own virtualenv too: it pins `packaging<24`, pulumi needs `packaging>=26`.
CHECKOV_VENV := .venv-checkov
CHECKOV_PACKAGES := checkov==3.3.30
# Debian packages the integration tests run for real: Redis (LiteLLM cache), PostgreSQL (pgvector schema),
# promtool (Prometheus rules).
SYSTEM_PACKAGES := redis-server postgresql prometheus

.PHONY: plan render check test lint system-deps vendor prices packs matrix bench clean

$(VENV)/.installed: pyproject.toml
	$(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(LITELLM_VENV)/.installed:
	$(BASE_PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LITELLM_VENV)/bin/python -m pip install --quiet $(LITELLM_PACKAGES)
	touch $@

# LiteLLM's database mode in tests: prisma-client-py (LiteLLM 1.81.16's schema needs 0.15.0) generated offline against
# tests/support/prisma_engine, a test-only stand-in for Prisma's native query engine (not on any registry; it runs
# Prisma 5.17.0's own engine compiled to WebAssembly from npm, lockfile pinned). Production images carry the real one.
PRISMA_ENGINE := $(abspath tests/support/prisma_engine/engine.js)
$(LITELLM_VENV)/.db-mode: $(LITELLM_VENV)/.installed tests/support/prisma_engine/package-lock.json
	cd tests/support/prisma_engine && npm ci --ignore-scripts --no-audit --no-fund --silent
	$(LITELLM_VENV)/bin/python -m pip install --quiet prisma==0.15.0 nodeenv==1.9.1 tomlkit==0.13.2
	cd $$($(LITELLM_VENV)/bin/python -c 'import litellm.proxy, os; print(os.path.dirname(litellm.proxy.__file__))') && \
	  PATH=$(abspath $(LITELLM_VENV))/bin:$$PATH PRISMA_QUERY_ENGINE_BINARY=$(PRISMA_ENGINE) \
	  PRISMA_SCHEMA_ENGINE_BINARY=$(PRISMA_ENGINE) prisma generate >/dev/null
	# Bytecode for the generated client (types.py alone is 14 MB), which pip never compiled: where PYTHONDONTWRITEBYTECODE
	# is set, every LiteLLM process compiled it again when it first imported prisma (~1.5 s of CPU per proxy in the tests).
	$(LITELLM_VENV)/bin/python -m compileall -q \
	  $$($(LITELLM_VENV)/bin/python -c 'import importlib.util as u, os; print(os.path.dirname(u.find_spec("prisma").origin))')
	touch $@

$(CHECKOV_VENV)/.installed:
	$(BASE_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet $(CHECKOV_PACKAGES)
	touch $@

plan: $(VENV)/.installed  ## offline plan of a preset: make plan PRESET=saas ENV=dev FORMAT=md
	$(PY) -m blueprints plan --preset $(PRESET) --env $(ENV) --format $(FORMAT)

render: $(VENV)/.installed  ## every generated artifact into $(OUT)
	$(PY) -m blueprints render --preset $(PRESET) --env $(ENV) --out $(OUT)

check: $(VENV)/.installed  ## policy verdicts for a preset
	$(PY) -m blueprints check --preset $(PRESET) --env $(ENV)

system-deps:  ## Debian packages the integration tests start for real
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  $$SUDO systemctl disable --now redis-server postgresql prometheus >/dev/null 2>&1 || true; \
	fi

# Upstream charts and CRDs the tests read, pinned in blueprints/upstream.lock.yaml, into the git-ignored .vendor/.
# Offline: BLUEPRINTS_MIRROR=/path/to/mirror (charts/<name>-<version>.tgz, crds/<project>/<file>.yaml).
vendor: $(VENV)/.installed  ## fetch and verify the pinned upstream artifacts the tests read
	$(PY) tools/vendor.py

# Needs network: the EC2 offer files of the AWS Price List bulk API (hundreds of MB per region).
prices: $(VENV)/.installed  ## refresh blueprints/catalog/regional_prices.json (EC2 prices per region, with source and date)
	$(PY) tools/prices.py

test: lint $(LITELLM_VENV)/.installed $(LITELLM_VENV)/.db-mode $(CHECKOV_VENV)/.installed system-deps vendor  ## lint, then the whole suite (unit, presets, policies, integration against real servers)
	$(PY) -m pytest -n 2 --dist loadgroup

packs: $(VENV)/.installed  ## self-contained policy packs for `pulumi policy publish` into dist/policy-packs/<pack>/
	PYTHONPATH=policies/lib $(PY) -m blueprints_policies.build --out dist/policy-packs

matrix: $(VENV)/.installed  ## regenerate docs/compliance-matrix.md, docs/policy-coverage.md and docs/architecture/ from code
	PYTHONPATH=policies/lib $(PY) -m blueprints_policies.matrix
	PYTHONPATH=policies/lib $(PY) -m blueprints_policies.coverage
	$(PY) -m blueprints docs

lint: $(VENV)/.installed  ## ruff, and the import-linter contracts of pyproject.toml (the layers of DESIGN.md rule 7)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

bench: $(VENV)/.installed $(LITELLM_VENV)/.installed $(LITELLM_VENV)/.db-mode system-deps vendor  ## the measured figures the README quotes (BENCH="name ..." for some)
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) $(LITELLM_VENV) $(CHECKOV_VENV) out
