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

# System packages (Debian) the tests need, installed when missing and running as root; otherwise a
# note says what to install. None today: PDFs are made by Typst from its PyPI wheel and the tests read
# them with pypdf/pypdfium2 (pip), so neither `make report` nor `make test` needs a system package.
SYSTEM_PKGS :=

system-deps:
	@missing=""; for p in $(SYSTEM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: missing system packages:$$missing (sudo apt-get install$$missing)"; fi; fi

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
