# The npm package `rds-iam` (issue 5): napi-rs addon in node/, package.json at the root.
# Included by the root Makefile. Tests run against the PACKED package installed in a temp
# project ($(NODE_TEST_DIR)), never against the source tree.
NODE_TEST_DIR := $(CURDIR)/target/node-test
NAPI_BUILD    := npx --no-install napi build --platform --manifest-path node/Cargo.toml --output-dir node --js binding.js
NODE_BUILT    := $(CURDIR)/target/node-addon.built
# What the addon compiles from, include_str! files too. The READMEs are not among them: the core
# includes them only under cfg(doctest), which a build never reads.
NODE_RUST_INPUTS := Cargo.toml Cargo.lock core/Cargo.toml node/Cargo.toml node/build.rs package.json \
	$(shell find core/src core/ca node/src -type f)

# On Linux the addon is built as `make dist` builds the one that ships (zig, glibc 2.17), in the
# target dir and with the compiler the wheel uses (scripts/dist/zig-run.sh): one dependency build
# for both (the addon then builds in 72 s instead of 143 s, measured cold). After the wheel,
# not beside it: cargo locks the target dir, and a build waiting on the lock would hold a job slot
# that the wheel's build could use. The venv holds that zig.
ifeq ($(shell uname -s),Linux)
NODE_TARGET     := --target $(shell uname -m)-unknown-linux-gnu
NODE_ZIG        := scripts/dist/zig-run.sh $(shell uname -m)-unknown-linux-gnu
NODE_ZIG_PREREQ := $(VENV)/.installed | python-build
endif

.PHONY: node-deps node-build node-pack node-test node-types-check

node_modules/.rds-iam-installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

node-deps: node_modules/.rds-iam-installed ## npm ci (dev tools and the drivers the tests use)

node-build: $(NODE_BUILT) ## npm ci, then one release build of the Node addon (napi CLI)

# A file target, because the napi CLI hands each build a new TYPE_DEF_TMP_PATH, which napi-build
# declares as a build input: every `napi build` recompiles the addon crate (a minute of LTO) even
# when nothing changed. So it runs only when a Rust source, a manifest or the npm tools did.
$(NODE_BUILT): $(NODE_RUST_INPUTS) node_modules/.rds-iam-installed $(NODE_ZIG_PREREQ)
	$(NODE_ZIG) $(NAPI_BUILD) --release $(NODE_TARGET)
	@mkdir -p $(@D) && touch $@

# The main package and this machine's platform package, packed and installed as from the registry
# (scripts/dist/npm-pack.js: the same packing as `make dist`; it fails when versions differ).
node-pack: node-build ## npm pack (main + this platform's package), installed into a temp project (target/node-test)
	rm -rf $(NODE_TEST_DIR) && mkdir -p $(NODE_TEST_DIR)
	node scripts/dist/npm-pack.js --out $(NODE_TEST_DIR) --local --main > $(NODE_TEST_DIR)/tarballs.txt
	cd $(NODE_TEST_DIR) && printf '{ "name": "rds-iam-test-project", "private": true }\n' > package.json \
	  && npm install --no-audit --no-fund --no-package-lock $$(cat tarballs.txt)
	node node/test/setup-types.js $(NODE_TEST_DIR)

# node --test runs with the secrets hook preloaded (and the secrets probe), NODE_DEBUG on: its one
# run is also `make secrets-scan`'s input.
# One test file at a time (--test-concurrency=1, what Node picks on 2 cores anyway): drivers and
# frameworks tests lower the shared iamdb's max age for a while, which would fail other files'
# older cached tokens.
node-test: node-pack | system-packages ## Node tests (node:test) and tsc --noEmit, against the packed package (output in target/secrets/node-suite.txt)
	rm -f $(SECRETS_DIR)/node-*
	$(call iamdb_dir,node) RDS_IAM_TEST_PROJECT=$(NODE_TEST_DIR) SECRETS_NODE_OUT=$(SECRETS_DIR)/node-shown.txt \
	  NODE_DEBUG=rds-iam,rds_iam,http,tls SECRETS_DIR=$(SECRETS_DIR) tests/secrets/run_captured.sh node \
	  node --require ./tests/secrets/node_hook.js --test --test-concurrency=1 node/test/*.test.js tests/secrets/probe.test.js
	npx --no-install tsc -p $(NODE_TEST_DIR)/tsconfig.json

# The packed tarball's types as TypeScript resolves them under every module setting (node10,
# node16 CommonJS and ESM, bundler): arethetypeswrong fails on any problem, e.g. ESM types taken
# from the CommonJS declarations or a default export missing from them (issue 33).
node-types-check: node-pack ## arethetypeswrong over the packed main tarball: no problems
	npx --no-install attw --format table-flipped $$(grep -m1 '/rds-iam-[0-9]' $(NODE_TEST_DIR)/tarballs.txt)
