# tracegraph — `make demo` serves the demo graph; `make test` runs every test (starting Neo4j itself).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data
DEMO_STORE ?= tracegraph-data
DEMO_SHIPMENTS ?= 5000
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000

.PHONY: help venv install demo test test-embedded schema docs screenshots neo4j-start neo4j-stop bench bench-api lint clean

help:
	@echo "make demo          generate demo data, load it into the embedded store, serve it (GraphiQL on :8000) with a token"
	@echo "make test          run all tests (starts a Neo4j server unless NEO4J_URI is set)"
	@echo "make lint          type-check the package as installed (mypy; make test runs it first)"
	@echo "make neo4j-start   start Neo4j in the background (bolt://127.0.0.1:7687); make neo4j-stop stops it"
	@echo "make bench         run the load benchmark (BENCH_SIZES=100000,1000000)"
	@echo "make bench-api     requests/s of the API beside a bare Starlette floor (needs wrk)"
	@echo "make schema        write schema.graphql from the code (a test checks it is current)"
	@echo "make screenshots   drive the pages in headless chromium and save what it sees to docs/screenshots"
	@echo "make docs          write docs/cli.md and the README's command list from the CLI (a test checks them)"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip 'setuptools>=68' wheel
	$(BIN)/pip install -q '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# The package as a user installs it (a wheel, not an editable install): the tests, mypy and the
# demo run what `pip install .` puts in site-packages, package data included.
install: $(STAMP)
	$(BIN)/pip install -q --no-deps --no-build-isolation --force-reinstall .

demo: install
	$(BIN)/tracegraph generate --shipments $(DEMO_SHIPMENTS) --seed 7 $(DEMO_DIR)
	$(BIN)/tracegraph --store $(DEMO_STORE) load -q $(DEMO_DIR)
	$(BIN)/tracegraph --store $(DEMO_STORE) stats
	@$(BIN)/tracegraph --store $(DEMO_STORE) token create --org demo --role admin | tail -1 > $(DEMO_STORE)/demo-token
	@echo
	@echo "GraphiQL: http://$(DEMO_HOST):$(DEMO_PORT)/graphql  (Ctrl-C stops the service)"
	@echo "In GraphiQL's Headers tab paste:"
	@echo '  {"Authorization": "Bearer '"$$(cat $(DEMO_STORE)/demo-token)"'"}'
	@echo "From a shell:"
	@echo "  curl -s http://$(DEMO_HOST):$(DEMO_PORT)/graphql -H 'Authorization: Bearer $$(cat $(DEMO_STORE)/demo-token)' -H 'Content-Type: application/json' -d '{\"query\": \"{ repeatOffenders { factories(first: 3) { edges { node { uscc nameEn findings } } } } }\"}'"
	@echo "token (admin, organisation 'demo'):"
	@cat $(DEMO_STORE)/demo-token
	$(BIN)/tracegraph --store $(DEMO_STORE) serve --host $(DEMO_HOST) --port $(DEMO_PORT)

# With NEO4J_URI set, tests use that server; otherwise a throwaway one is started and stopped.
test: lint
	deploy/browser.sh
ifdef NEO4J_URI
	$(BIN)/pytest
else
	PATH="$(CURDIR)/$(BIN):$$PATH" deploy/neo4j/server.sh run $(BIN)/pytest
endif

lint: install
	cd $(VENV) && bin/mypy --config-file $(CURDIR)/pyproject.toml -p tracegraph

test-embedded: install
	$(BIN)/pytest -m "not neo4j"

# The command-line reference (docs/cli.md, the README's command list) from the CLI itself (a test fails when stale).
docs: install
	$(BIN)/python docs/cli_reference.py

# The pages as docs/screenshots shows them: the browser tests, saving what they see.
screenshots: install
	deploy/browser.sh
	TRACEGRAPH_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -m "not neo4j" tests/test_pages.py tests/test_china_rapex.py -k "page or browser or rendered"

# The GraphQL schema as committed in schema.graphql (a test fails when it is stale).
schema: install
	$(BIN)/strawberry export-schema tracegraph.api.schema:schema --app-dir $(BIN) > schema.graphql

neo4j-start:
	@deploy/neo4j/server.sh start

neo4j-stop:
	@deploy/neo4j/server.sh stop

bench: install
	$(BIN)/python bench/load.py

bench-api: install
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(DEMO_STORE) .neo4j deploy/neo4j/target
