# Release artifacts for Linux (issue 13), included by the root Makefile. The logic is in
# scripts/dist/*, which .github/workflows/release.yml calls too. Every tool is installed by
# `dist-tools` (only what is missing). cargo rebuilds only what changed, and the arm64 root is
# cached in target/arm64-root.
#
#   make dist         dist/python: 4 wheels + sdist; dist/npm: 4 platform packages + main; dist/cli: 2 static CLIs
#   make dist-check   inspect every artifact, run the aarch64 ones under qemu, build the sdist
#   (make wheel-audit, CI's cheap part of dist-check, is in python/python.mk: it inspects the wheel
#   the Python suites install, which on Linux is the manylinux2014 release wheel)
#   make workflow-lint  actionlint on .github/workflows
#   make cross-check  clippy on the core crate for Windows (x86_64-pc-windows-gnu, zig as C compiler)
DIST_SCRIPTS := scripts/dist

.PHONY: dist dist-tools dist-check workflow-lint cross-check

dist-tools: ## Install the cross-build tools (Rust targets, zig, maturin, cargo-zigbuild, qemu, mmdebstrap)
	$(DIST_SCRIPTS)/tools.sh

dist: dist-tools node-deps ## Build the Linux wheels, npm packages and static CLIs into dist/ (zig cross builds)
	$(DIST_SCRIPTS)/wheels.sh
	$(DIST_SCRIPTS)/node.sh
	$(DIST_SCRIPTS)/cli.sh

dist-check: dist-tools ## Check dist/: ELF/glibc/auditwheel/sizes, aarch64 under qemu, the CLIs, the sdist
	$(VENV_PY) $(DIST_SCRIPTS)/inspect_dist.py
	$(DIST_SCRIPTS)/run-built.sh
	$(DIST_SCRIPTS)/sdist-check.sh
	@echo "make dist-check: every artifact checked"

workflow-lint: ## actionlint on the GitHub workflows
	$(DIST_SCRIPTS)/workflow-lint.sh

cross-check: ## Windows compile gate: clippy -D warnings on rds-iam for x86_64-pc-windows-gnu
	$(DIST_SCRIPTS)/cross-check.sh
