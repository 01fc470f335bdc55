# One command sets up and renders the sample reports: `make report`.
# One command sets up and runs the tests:              `make test`.
# Both create .venv (Python >= 3.11) on first use, pinned by requirements.lock.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup report test test-fast bench lab clean-outputs system-deps test-deps

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 --display-name "Python 3 (danvan)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

# System packages (Debian), installed when missing and running as root; otherwise a note says what
# to install. None for `make report` or the PDF tests: PDFs are made by Typst from its PyPI wheel and
# the tests read them with pypdf/pypdfium2 (pip).
SYSTEM_PKGS :=
# For `make test` only: Chromium, driven by Playwright in the browser tests (tests/test_browser.py;
# without it, and not root, those tests are skipped with the reason).
TEST_PKGS := chromium

define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing </dev/null >/dev/null; \
	  else echo "note: missing system packages:$$missing (sudo apt-get install$$missing)"; fi; fi
endef

system-deps:
	$(call install_missing,$(SYSTEM_PKGS))

test-deps:
	$(call install_missing,$(TEST_PKGS))

report: setup
	$(BIN)/danvan setup
	$(BIN)/danvan run params/hue-2023.yaml

test: setup system-deps test-deps
	$(BIN)/python -m pytest -n 2 -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup
	$(BIN)/python benchmarks/bench_batch.py

lab: setup
	$(BIN)/jupyter lab notebooks/

clean-outputs:
	find outputs -mindepth 1 ! -name README.md -exec rm -rf {} +
