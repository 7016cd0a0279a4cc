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
#   make cross-check  clippy -D warnings for Windows (x86_64-pc-windows-gnu, mingw) and cargo check for
#                     both macOS targets (zig), of the core, the Python module and the Node addon
DIST_SCRIPTS := scripts/dist

# Each target's wheel, then its addon, then (musl) its static CLI are jobs of their own: the three
# share one dependency build in one target dir (env.sh), which cargo locks for a whole build, so
# they take turns, and two targets build at a time. `make dist` (two jobs) so keeps both cores
# busy: a release build spends a third of its time in one-core LTO. Their cargo joins make's job
# server.
DIST_TARGETS     := x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl
DIST_CLI_TARGETS := x86_64-unknown-linux-musl aarch64-unknown-linux-musl
DIST_WHEELS := $(addprefix dist-wheel-,$(DIST_TARGETS))
DIST_ADDONS := $(addprefix dist-addon-,$(DIST_TARGETS))
DIST_CLIS   := $(addprefix dist-cli-,$(DIST_CLI_TARGETS))

.PHONY: dist dist-tools dist-check-tools dist-check workflow-lint cross-check dist-sdist $(DIST_WHEELS) $(DIST_ADDONS) $(DIST_CLIS)

# The builds need only the Rust targets and the venv's tools; dist-check also the emulation tools
# (apt: qemu-user-static, mmdebstrap, binutils, musl), which `make dist` so does not wait for.
dist-tools: ## Install the cross-build tools (Rust targets; zig, maturin, cargo-zigbuild in the venv)
	DIST_APT=0 $(DIST_SCRIPTS)/tools.sh

dist-check-tools: ## dist-tools, and qemu-user-static, mmdebstrap, binutils and musl for dist-check
	$(DIST_SCRIPTS)/tools.sh

dist: $(DIST_WHEELS) dist-sdist $(DIST_ADDONS) $(DIST_CLIS) node-deps ## Build the Linux wheels, npm packages and static CLIs into dist/ (zig cross builds)
	NODE_PACK=1 $(DIST_SCRIPTS)/node.sh
	@ls -l dist/python dist/npm dist/cli

$(DIST_WHEELS): dist-wheel-%: dist-tools
	SEED_HOST_BUILD_FROM=$(DIST_WHEEL_SEED) $(DIST_SCRIPTS)/wheels.sh $*

# The musl targets' builds start from a copy of the aarch64 glibc target's host build (build
# scripts, proc macros), once its wheel and addon are done (env.sh seed_host_build): two target
# dirs compile no host code. The order costs little: make runs two jobs, and the glibc targets'
# wheels and addons come first anyway. Not the x86_64 glibc dir: there the host is the target,
# so its linker (zig, glibc 2.17) also links the proc macros, and cargo rebuilt every copied unit
# in a dir without it.
DIST_HOST_SEED     := aarch64-unknown-linux-gnu
DIST_SEEDED_WHEELS := $(addprefix dist-wheel-,$(filter %-musl,$(DIST_TARGETS)))
$(DIST_SEEDED_WHEELS): dist-addon-$(DIST_HOST_SEED)
# private: not inherited by the prerequisites (the glibc wheel itself).
$(DIST_SEEDED_WHEELS): private DIST_WHEEL_SEED := $(DIST_HOST_SEED)

dist-sdist: dist-tools
	$(DIST_SCRIPTS)/wheels.sh --sdist

# After the wheel of its target: they share a target dir, which cargo locks for a whole build.
$(DIST_ADDONS): dist-addon-%: dist-wheel-%
	NODE_PACK=0 $(DIST_SCRIPTS)/node.sh $*

$(DIST_CLIS): dist-cli-%: dist-addon-%
	$(DIST_SCRIPTS)/cli.sh $*

dist-check: dist-check-tools ## Check dist/: ELF/glibc/auditwheel/sizes, aarch64 under qemu, the CLIs, the sdist
	$(VENV_PY) $(DIST_SCRIPTS)/inspect_dist.py
	$(DIST_SCRIPTS)/run-built.sh
	$(DIST_SCRIPTS)/sdist-check.sh
	@echo "make dist-check: every artifact checked"

workflow-lint: ## actionlint on the GitHub workflows
	$(DIST_SCRIPTS)/workflow-lint.sh

cross-check: ## Compile gates: Windows clippy -D warnings (mingw), macOS cargo check (zig); core, Python module, Node addon
	$(DIST_SCRIPTS)/cross-check.sh
