# Fuzzing (issue 32): coverage-guided libFuzzer targets for the parsers of untrusted input —
# PostgreSQL's and MySQL's handshakes from both sides, the endpoint and URL, credential_process
# output, the shared config files. The checks live in core/src/fuzzing/; fuzz/README.md says
# how to run one target and replay a crash. Included by the root Makefile (CARGO).
#
# cargo-fuzz drives the build; it asks for nightly flags (-Zsanitizer, -Cpasses=sancov), which
# the stable toolchain accepts with RUSTC_BOOTSTRAP=1 (no nightly toolchain needed). No
# sanitizer: the parsers are safe Rust, and without ASan the cold build is shorter and a run
# several times faster; debug assertions and overflow checks stay on.
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS := pg_client_opening pg_server_login mysql_client_response mysql_server_greeting \
  endpoint connection_url credential_process profile_files
FUZZ_ONLY ?= $(FUZZ_TARGETS)

CARGO_FUZZ_VERSION := 0.13.2
FUZZ_TOOLS   := $(CURDIR)/target/tools
CARGO_FUZZ   := $(FUZZ_TOOLS)/bin/cargo-fuzz
FUZZ_WORK    := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/fuzz
FUZZ_BIN_DIR := $(FUZZ_WORK)/x86_64-unknown-linux-gnu/release
# 16 codegen units: the whole AWS stack is instrumented too, and one unit per crate made the
# cold build much longer for no measurable gain in executions per second.
FUZZ_BUILD := RUSTC_BOOTSTRAP=1 PATH="$(FUZZ_TOOLS)/bin:$$PATH" $(CARGO) fuzz build -O -a -s none \
  --codegen-units 16 --target-dir $(FUZZ_WORK)

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-cmin

# Installed once into the project's target/, from crates.io at a fixed version.
$(CARGO_FUZZ):
	$(CARGO) install --locked --root $(FUZZ_TOOLS) cargo-fuzz --version $(CARGO_FUZZ_VERSION)

fuzz-build: $(CARGO_FUZZ) ## Build the fuzz targets (cargo-fuzz on stable, RUSTC_BOOTSTRAP=1)
	$(FUZZ_BUILD)

fuzz: fuzz-build ## Run each fuzz target FUZZ_SECONDS (60) from the committed corpora; fails on a crash
	fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN_DIR) $(FUZZ_WORK) $(FUZZ_ONLY)

fuzz-smoke: fuzz-build ## The fuzz targets FUZZ_SMOKE_SECONDS (20) each: CI's short run
	fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_BIN_DIR) $(FUZZ_WORK) $(FUZZ_ONLY)

# Folds what runs found into the committed seeds and keeps only the inputs that add coverage.
fuzz-cmin: fuzz-build ## Minimize fuzz/corpus/ with what `make fuzz` found (commit the result)
	@for t in $(FUZZ_ONLY); do \
	  rm -rf $(FUZZ_WORK)/cmin/$$t && mkdir -p $(FUZZ_WORK)/cmin/$$t $(FUZZ_WORK)/corpus/$$t && \
	  $(FUZZ_BIN_DIR)/$$t -merge=1 -max_len=12000 $(FUZZ_WORK)/cmin/$$t fuzz/corpus/$$t \
	    $(FUZZ_WORK)/corpus/$$t 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' ; \
	  rm -rf fuzz/corpus/$$t && mv $(FUZZ_WORK)/cmin/$$t fuzz/corpus/$$t || exit 1; \
	done
