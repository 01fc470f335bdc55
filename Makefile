# One command sets up and renders the sample reports: `make report`.
# One command sets up and runs the tests:              `make test`.
# Both create .venv (Python >= 3.11) on first use, pinned by requirements.lock.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup report test test-fast bench lab clean-outputs system-deps

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 --display-name "Python 3 (danvan)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

# poppler-utils (pdftotext, pdffonts, pdftoppm) is used by the PDF tests; installed when missing and root.
system-deps:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	  else echo "note: poppler-utils missing (PDF tests will be skipped)"; fi; }

report: setup
	$(BIN)/danvan setup
	$(BIN)/danvan run params/hue-2023.yaml

test: setup system-deps
	$(BIN)/python -m pytest -n 2 -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup
	$(BIN)/python benchmarks/bench_batch.py

lab: setup
	$(BIN)/jupyter lab notebooks/

clean-outputs:
	find outputs -mindepth 1 ! -name README.md -exec rm -rf {} +
