# The Python package (issue 4): included by the root Makefile, which defines VENV, VENV_PY,
# PYTHON and CARGO and the `venv` target (the project venv with tests/requirements.txt).
#
#   make python-build   one release build of the extension -> dist/rds_iam-<v>-cp39-abi3-*.whl
#   make python-test    a FRESH venv with that wheel + test deps: ruff, stubtest, mypy, pytest
PY_DEV_REQS   := python/requirements-dev.txt
PY_TEST_REQS  := python/requirements-test.txt
PY_TEST_VENV  := target/py-test-venv
PY_TEST_PY    := $(CURDIR)/$(PY_TEST_VENV)/bin/python
PY_PIP        := --quiet --disable-pip-version-check
PY_WHEEL_GLOB := dist/rds_iam-*-abi3-*.whl

.PHONY: python-build python-test python-lint

$(VENV)/.python-dev: $(PY_DEV_REQS) $(PY_TEST_REQS) | venv
	$(VENV_PY) -m pip install $(PY_PIP) -r $(PY_DEV_REQS)
	touch $@

python-build: $(VENV)/.python-dev ## Build the Python wheel (release, abi3) into dist/
	rm -f $(PY_WHEEL_GLOB)
	$(VENV)/bin/maturin build --release --out dist --interpreter $(VENV_PY)
	@ls -l $(PY_WHEEL_GLOB)

python-lint: $(VENV)/.python-dev ## ruff check + ruff format --check on python/ and bench/
	$(VENV)/bin/ruff check python bench
	$(VENV)/bin/ruff format --check python bench

# The tests import rds_iam from the installed wheel, never from python/ (conftest checks it);
# the type checks run from outside the repository for the same reason.
python-test: python-build python-lint ## Wheel in a fresh venv: stubtest, mypy --strict, pytest
	rm -rf $(PY_TEST_VENV)
	$(PYTHON) -m venv $(PY_TEST_VENV)
	$(PY_TEST_PY) -m pip install $(PY_PIP) -r $(PY_TEST_REQS) $(PY_WHEEL_GLOB)
	cd $(PY_TEST_VENV) && $(PY_TEST_PY) -m mypy.stubtest rds_iam._native
	cd $(PY_TEST_VENV) && $(PY_TEST_PY) -m mypy --config-file $(CURDIR)/pyproject.toml -p rds_iam
	cd $(PY_TEST_VENV) && $(PY_TEST_PY) -m mypy --config-file $(CURDIR)/pyproject.toml \
		$(CURDIR)/python/tests/typed_usage.py
	$(PY_TEST_PY) -m pytest -q -W error -p no:cacheprovider python/tests
