# The Python package (issue 4): included by the root Makefile, which defines VENV, VENV_PY,
# PYTHON and CARGO and the `venv` target (the project venv with tests/requirements.txt).
#
#   make python-build    one release build of the extension -> dist/rds_iam-<v>-cp39-abi3-*.whl
#                        (on Linux the release wheel itself: zig, manylinux2014, glibc 2.17)
#   make wheel-audit     that wheel's auditwheel show and highest GLIBC_ symbol (<= 2.17)
#   make python-install  that wheel in the test venv (target/py-test-venv, with the test deps)
#   make python-test     ruff, stubtest, mypy, pytest against that installed wheel
PY_TEST_REQS  := python/requirements-test.txt
PY_TEST_VENV  := target/py-test-venv
PY_TEST_PY    := $(CURDIR)/$(PY_TEST_VENV)/bin/python
PY_PIP        := --quiet --disable-pip-version-check
PY_WHEEL_GLOB := dist/rds_iam-*-abi3-*.whl

.PHONY: python-build python-install python-test python-lint wheel-audit

# On Linux the suites test the wheel that ships, built as `make dist` and the release workflow
# build it (scripts/dist/wheels.sh: zig, manylinux2014, in the target dir it shares with the Node
# addon), so wheel-audit only has to inspect it. Elsewhere, a plain maturin build.
PY_ARCH := $(shell uname -m)
ifeq ($(shell uname -s),Linux)
PY_BUILD := WHEEL_OUT=$(CURDIR)/dist scripts/dist/wheels.sh $(PY_ARCH)-unknown-linux-gnu
else
PY_BUILD := $(VENV)/bin/maturin build --release --out dist --interpreter $(VENV_PY)
endif

python-build: venv ## Build the Python wheel (release, abi3; on Linux manylinux2014 with zig) into dist/
	rm -f $(PY_WHEEL_GLOB)
	$(PY_BUILD)
	@ls -l $(PY_WHEEL_GLOB)

# The cheap part of `make dist-check` that CI runs (make test): the full check builds and runs
# every Linux artifact and takes too long for CI (docs/building.md).
wheel-audit: python-build ## The tests' manylinux2014 wheel: auditwheel show agrees with its tag, GLIBC_ <= 2.17
	$(VENV_PY) scripts/dist/inspect_dist.py --only dist/rds_iam-*-manylinux2014_$(PY_ARCH)*.whl

python-lint: venv ## ruff check + ruff format --check on python/, bench/, tests/proxy/ and tests/docs/
	$(VENV)/bin/ruff check python bench tests/proxy tests/docs
	$(VENV)/bin/ruff format --check python bench tests/proxy tests/docs

# The test venv holds the test deps only, so it is made while the wheel builds (make runs both);
# it is made afresh whenever the requirements change. The wheel then goes in over any earlier one.
$(PY_TEST_VENV)/.requirements: $(PY_TEST_REQS) | system-packages
	rm -rf $(PY_TEST_VENV)
	$(PYTHON) -m venv $(PY_TEST_VENV)
	$(PY_TEST_PY) -m pip install $(PY_PIP) -r $(PY_TEST_REQS)
	touch $@

python-install: python-build $(PY_TEST_VENV)/.requirements ## The wheel and the test deps in the test venv (target/py-test-venv)
	$(PY_TEST_PY) -m pip install $(PY_PIP) --force-reinstall --no-deps $(PY_WHEEL_GLOB)

# The tests import rds_iam from the installed wheel, never from python/ (conftest checks it);
# the type checks run from outside the repository for the same reason. pytest runs with the
# secrets plugin and DEBUG logging: its one run is also `make secrets-scan`'s input.
python-test: python-install python-lint | system-packages ## Installed wheel: stubtest, mypy --strict, pytest (output in target/secrets/python-suite.txt)
	cd $(PY_TEST_VENV) && $(PY_TEST_PY) -m mypy.stubtest rds_iam._native
	cd $(PY_TEST_VENV) && $(PY_TEST_PY) -m mypy --config-file $(CURDIR)/pyproject.toml -p rds_iam
	cd $(PY_TEST_VENV) && $(PY_TEST_PY) -m mypy --config-file $(CURDIR)/pyproject.toml \
		$(CURDIR)/python/tests/typed_usage.py
	rm -f $(SECRETS_DIR)/python-*
	$(call iamdb_dir,python) PYTHONPATH=$(CURDIR)/tests/secrets SECRETS_PY_OUT=$(SECRETS_DIR)/python-shown.txt \
	  SECRETS_DIR=$(SECRETS_DIR) tests/secrets/run_captured.sh python \
	  $(PY_TEST_PY) -m pytest -q -W error -p no:cacheprovider -p pytest_secrets -s --log-level=DEBUG \
	  -o log_cli=true python/tests
