# The Python package (issue 4): included by the root Makefile, which defines VENV, VENV_PY,
# PYTHON and CARGO and the `venv` target (the project venv with tests/requirements.txt).
#
#   make python-build    one release build of the extension -> dist/rds_iam-<v>-cp39-abi3-*.whl
#                        (on Linux the release wheel itself: zig, manylinux2014, glibc 2.17)
#   make wheel-audit     that wheel's auditwheel show and highest GLIBC_ symbol (<= 2.17)
#   make python-install  a FRESH venv (target/py-test-venv) with that wheel + test deps
#   make python-test     ruff, stubtest, mypy, pytest against that installed wheel
PY_TEST_REQS  := python/requirements-test.txt
PY_TEST_VENV  := target/py-test-venv
PY_TEST_PY    := $(CURDIR)/$(PY_TEST_VENV)/bin/python
PY_PIP        := --quiet --disable-pip-version-check
PY_WHEEL_GLOB := dist/rds_iam-*-abi3-*.whl

.PHONY: python-build python-install python-test python-lint wheel-audit

# On Linux the suites test the wheel that ships: built as `make dist` and the release workflow
# build it (scripts/dist/wheels.sh: zig, manylinux2014), so wheel-audit only has to inspect it.
# maturin finds zig as `python3 -m ziglang`, hence the venv first on PATH. The zig build has a
# target dir of its own, shared with `make dist` (target/dist-wheel): in target/ the napi CLI's
# gcc build of the same target would take turns with it rebuilding ring and everything above it
# (cargo reruns a build script when CC changes).
PY_ARCH        := $(shell uname -m)
PY_BUILD_FLAGS := $(if $(filter Linux,$(shell uname -s)),--zig --compatibility manylinux2014 --target $(PY_ARCH)-unknown-linux-gnu)
PY_TARGET_DIR  := $(CURDIR)/target/dist-wheel

python-build: venv ## Build the Python wheel (release, abi3; on Linux manylinux2014 with zig) into dist/
	rm -f $(PY_WHEEL_GLOB)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" CARGO_TARGET_DIR=$(PY_TARGET_DIR) $(VENV)/bin/maturin build --release --out dist $(PY_BUILD_FLAGS) \
	  --interpreter $(VENV_PY)
	@ls -l $(PY_WHEEL_GLOB)

# The cheap part of `make dist-check` that CI runs (make test): the full check builds and runs
# every Linux artifact and takes too long for CI (see the README's Platforms section).
wheel-audit: python-build ## The tests' manylinux2014 wheel: auditwheel show agrees with its tag, GLIBC_ <= 2.17
	$(VENV_PY) scripts/dist/inspect_dist.py --only dist/rds_iam-*-manylinux2014_$(PY_ARCH)*.whl

python-lint: venv ## ruff check + ruff format --check on python/, bench/ and tests/proxy/
	$(VENV)/bin/ruff check python bench tests/proxy
	$(VENV)/bin/ruff format --check python bench tests/proxy

python-install: python-build | system-packages ## The wheel and the test deps in a fresh venv (target/py-test-venv)
	rm -rf $(PY_TEST_VENV)
	$(PYTHON) -m venv $(PY_TEST_VENV)
	$(PY_TEST_PY) -m pip install $(PY_PIP) -r $(PY_TEST_REQS) $(PY_WHEEL_GLOB)

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
