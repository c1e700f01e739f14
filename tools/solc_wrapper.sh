#!/bin/sh
# Installed by tools/install_solc.py as py-solc-x's solc binary; see solcjs_launcher.js.
out=$(mktemp "${TMPDIR:-/tmp}/solcjs.XXXXXX") || exit 1
SOLCJS_OUT="$out" SOLCJS_MODULE="@SOLC_MODULE@" node "@LAUNCHER@" "$@"
rc=$?
cat "$out"
rm -f "$out"
exit $rc
