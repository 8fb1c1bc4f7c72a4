#!/bin/bash
# 003-install: "meson setup B --prefix P && ninja -C B install" puts the
# programs in P/bin, the bundled database under P/share/vigil and the
# default configuration under P/etc/vigil, and the installed scanner works
# on them with no options at all.
. "$(dirname "$0")/../lib.sh"

[ "${VIGIL_SANITIZED:-0}" = 1 ] && { echo "skip: the install is checked by the plain build"; exit 77; }
P=$T/prefix
if ! meson setup "$T/b" "$VIGIL_SRC" --prefix "$P" -Dtests=false > "$T/setup.log" 2>&1 ||
   ! ninja -C "$T/b" install > "$T/install.log" 2>&1; then
	cat "$T/setup.log" "$T/install.log" | tail -30
	fail "build and install"
	finish
fi
check "P/bin/vigil-scan" [ -x "$P/bin/vigil-scan" ]
check "bundled database" ls "$P"/share/vigil/db/vigil.ndb
check "default configuration" [ -f "$P/etc/vigil/vigil.conf" ]
check "public header" [ -f "$P/include/vigil/vigil.h" ]
mkdir "$T/s"; eicar "$T/s/eicar.com"; printf 'clean\n' > "$T/s/ok.txt"
out=$(cd "$T/s" && "$P/bin/vigil-scan" 2>&1); rc=$?
check "installed scanner finds EICAR with its defaults" grep -q "eicar.com: Eicar-Test-Signature FOUND" <<<"$out"
check "exit 1" [ $rc -eq 1 ]
finish
