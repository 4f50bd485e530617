PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,serve,cluster]'
	touch $(STAMP)

venv: $(STAMP)

DEMO_REVIEW := demo-output/review

demo: $(STAMP)
	$(BIN)/screener demo --out demo-output
	@test -f $(DEMO_REVIEW)/screener.sqlite || ($(BIN)/screener init $(DEMO_REVIEW) --criteria data/peer_support.criteria.toml >/dev/null && $(BIN)/screener import $(DEMO_REVIEW) data/demo/ebscohost.ris data/demo/pubmed.nbib data/demo/webofscience.csv >/dev/null 2>demo-output/import.log || (cat demo-output/import.log >&2; exit 1))
	@echo "In the browser: $(BIN)/screener reviewers add $(DEMO_REVIEW) you --role owner --password-stdin (type a password of 8+ characters, Enter), then $(BIN)/screener serve $(DEMO_REVIEW) and open http://127.0.0.1:8765/"

test: $(STAMP)
	$(BIN)/ruff check screener tests benchmarks
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo-output
