# tracegraph — `make demo` serves the demo graph; `make test` runs every test (starting Neo4j itself).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data
DEMO_STORE ?= tracegraph-data
DEMO_SHIPMENTS ?= 5000

.PHONY: help venv demo test test-embedded schema neo4j-start neo4j-stop bench lint clean

help:
	@echo "make demo          generate demo data, load it into the embedded store, print its stats"
	@echo "make test          run all tests (starts a Neo4j server unless NEO4J_URI is set)"
	@echo "make neo4j-start   start Neo4j in the background (bolt://127.0.0.1:7687); make neo4j-stop stops it"
	@echo "make bench         run the load benchmark (BENCH_SIZES=100000,1000000)"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/tracegraph generate --shipments $(DEMO_SHIPMENTS) --seed 7 $(DEMO_DIR)
	$(BIN)/tracegraph --store $(DEMO_STORE) load $(DEMO_DIR)
	$(BIN)/tracegraph --store $(DEMO_STORE) stats

# With NEO4J_URI set, tests use that server; otherwise a throwaway one is started and stopped.
test: $(STAMP)
	$(BIN)/mypy graph loaders api queries
ifdef NEO4J_URI
	$(BIN)/pytest
else
	PATH="$(CURDIR)/$(BIN):$$PATH" deploy/neo4j/server.sh run $(BIN)/pytest
endif

test-embedded: $(STAMP)
	$(BIN)/pytest -m "not neo4j"

# The GraphQL schema as committed in schema.graphql (a test fails when it is stale).
schema: $(STAMP)
	$(BIN)/strawberry export-schema api.app:schema > schema.graphql

neo4j-start:
	@deploy/neo4j/server.sh start

neo4j-stop:
	@deploy/neo4j/server.sh stop

bench: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(DEMO_STORE) .neo4j deploy/neo4j/target
