# Two commands do everything on a fresh machine of this kind (Python 3.11, root for apt):
#   make report            set-up if needed, run report.ipynb on the demo data, write report.pdf
#   make test              set-up if needed, run all tests (slow ones included)
# Set-up is idempotent: stamps skip what is already installed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
lang ?= en
# Extra arguments for run_report, e.g. make report args="-p smoothgrad_samples 20" (empty: none).
args ?=
# Hashes of the requirement files name the stamps: editing a file reinstalls, nothing else does.
REQ_HASH := $(shell cat requirements.txt | sha256sum | cut -c1-12)
TEST_REQ_HASH := $(shell cat requirements.txt requirements-test.txt | sha256sum | cut -c1-12)
REQ_STAMP := $(VENV)/.installed-report-$(REQ_HASH)
TEST_REQ_STAMP := $(VENV)/.installed-test-$(TEST_REQ_HASH)
DATA_STAMP := .cache/demo_data/manifest.json

.PHONY: setup setup-test system data report test test-fast bench bench-report train-head accuracy clean

$(REQ_STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

$(TEST_REQ_STAMP): | $(REQ_STAMP)
	$(PY) -m pip install -q -r requirements-test.txt
	@touch $@

$(DATA_STAMP): helpers/data/default_dataset.py | $(REQ_STAMP)
	$(PY) -m helpers.data.default_dataset --install

system:
	@bash tools/install_system_packages.sh

data: $(DATA_STAMP)

setup: $(REQ_STAMP) data system

setup-test: $(TEST_REQ_STAMP) data system

report: setup
	$(PY) -m helpers.runner.run_report --lang $(lang) $(args)

test: setup-test
	TQDM_DISABLE=1 $(PY) -m pytest -q

test-fast: setup-test
	TQDM_DISABLE=1 $(PY) -m pytest -q -m "not slow"

bench: setup-test
	$(PY) bench/bench_methods.py

# Time the whole report (classic on a generated 3,347-image Food-11 folder, and the default),
# cold, warm and the PDF export; writes bench/last_report_run.txt (takes a while: see bench/README.md).
bench-report: setup-test
	$(PY) bench/bench_report.py

# Retrain the default model's head (writes model/default_head.pt and .json), reproducibly.
train-head: setup
	$(PY) -m helpers.training.default_head --seed 0

# Accuracy of the default model on the demo data's evaluation split (quoted in the README).
accuracy: setup
	$(PY) -m helpers.evaluation.accuracy --split evaluation

clean:
	rm -rf outputs report.pdf report.executed.ipynb figures/*.png .cache/results
