# Docs are code (issue 34): every fenced block of the pages users read runs against iamdb, and
# the crate's docs build as docs.rs builds them. Included by the root Makefile.
.PHONY: docs-test

docs-test: python-install node-pack venv | system-packages ## Run every code block of the docs as written (tests/docs/README.md); cargo doc -D warnings
	$(VENV_PY) -m pytest -q -W error -p no:cacheprovider tests/docs
	$(call iamdb_dir,docs) $(PYTHON) tests/docs/run_docs.py
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p rds-iam
