# The interpreters users run (issue 24), included by the root Makefile: the shipped x86_64 wheel
# and npm package on CPython 3.9 / 3.11 / 3.13 / 3.14 / 3.15 and Node 18 / 20 / 24, each from the
# Debian release that carries it (bullseye, bookworm, trixie, sid): one mmdebstrap root per release,
# cached in $(MATRIX_DIR)/roots (keyed on its package list), entered with chroot in a private mount
# namespace. Each signs every vector, runs a Signer with environment credentials and logs in to its
# own iamdb ($(IAMDB_BASE)-matrix) with psycopg / pg through the helpers, TLS verified.
#
#   make matrix-check   one line per interpreter, then `matrix-check: N passed, M failed`
#                       (logs: $(MATRIX_DIR)/logs/, results: $(MATRIX_DIR)/results.json);
#                       MATRIX_ONLY="python3.9 node-bookworm" runs only those
# Not in `make test` (its roots alone take minutes from cold): CI runs it after the tests.
# MATRIX_DIR may point outside the checkout to keep the roots between clones.
MATRIX_DIR ?= $(CURDIR)/target/matrix

.PHONY: matrix-check

matrix-check: python-build node-pack | system-packages ## The wheel and npm package on Python 3.9-3.15 and Node 18-24 (Debian roots, iamdb logins)
	$(call iamdb_dir,matrix) MATRIX_DIR=$(MATRIX_DIR) $(PYTHON) scripts/matrix/matrix.py \
	  $(if $(MATRIX_ONLY),--only $(MATRIX_ONLY))
