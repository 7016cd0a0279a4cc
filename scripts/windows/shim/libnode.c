/* An empty libnode.dll: napi-build (node/build.rs) panics for *-windows-gnu unless it finds one
 * to link against, but the addon imports nothing from it (napi's dyn-symbols feature looks the
 * N-API functions up in the running node.exe), so the linker drops it. Checked by windows-check:
 * the built .node's import table names no libnode.dll. */
int rds_iam_libnode_placeholder;
