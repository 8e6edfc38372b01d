# The two commands that matter: `make run` (service + demo data) and `make test` (everything).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace
export REDIS_URL ?= redis://127.0.0.1:6379/0
export TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_test
export TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test venv provision migrate seed lint typecheck pytest bench-nearby clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade uv || true
	if [ -x $(VENV)/bin/uv ]; then $(VENV)/bin/uv pip install -q --python $(PY) -e '.[dev]'; \
	else $(VENV)/bin/pip install -q -e '.[dev]'; fi
	touch $@

provision:
	bash scripts/provision.sh $(notdir $(TEST_DATABASE_URL))

migrate: venv provision
	$(VENV)/bin/alembic upgrade head

seed: migrate
	$(PY) -m scripts.seed_demo

run: seed
	bash scripts/prepare_run.sh
	@echo "CyberSpace on http://$(HOST):$(PORT)  (API docs: /docs, health: /healthz, metrics: /metrics)"
	@echo "Try: curl 'http://$(HOST):$(PORT)/api/nearby?lat=48.1371&lng=11.5754&radius_m=500'"
	@echo "Demo logins (README, section Authentication, shows how to use them):"
	@echo "$$($(PY) -m scripts.seed_demo --credentials)"
	$(VENV)/bin/uvicorn app.asgi:app --host $(HOST) --port $(PORT) --no-access-log \
		--ws-per-message-deflate false

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

pytest: venv provision
	bash scripts/install_test_tools.sh
	$(VENV)/bin/pytest

test: lint typecheck pytest

bench-nearby: migrate
	$(PY) -m scripts.bench.nearby

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
