#!/bin/bash
# 001-cli: vigil-scan's command line, output forms and exit codes on the
# bundled database.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/tree/sub/deep" "$T/tree/skipme"
eicar "$T/tree/eicar.com"
eicar "$T/tree/sub/deep/eicar.txt"
eicar "$T/tree/skipme/eicar.bin"
printf 'xx VIGIL-TEST-abc-BODY-SIGNATURE yy' > "$T/tree/sub/body.bin"
printf 'VIGIL-LOGICAL-PART-A and vigil-LOGICAL-part-B' > "$T/tree/logic.txt"
printf 'hello\n' > "$T/tree/clean.txt"
printf 'VIGIL-TEST-PUA-SAMPLE' > "$T/tree/pua.bin"
ln -s /etc/passwd "$T/tree/link"

out=$(vs "$T/tree"); rc=$?
check "exit 1 when something is found" [ $rc -eq 1 ]
check "EICAR line" grep -qx "$T/tree/eicar.com: Eicar-Test-Signature FOUND" <<<"$out"
check "body signature with a gap" grep -qx "$T/tree/sub/body.bin: Vigil.Test.Body-1 FOUND" <<<"$out"
check "logical signature (::i)" grep -qx "$T/tree/logic.txt: Vigil.Test.Logical-1 FOUND" <<<"$out"
check "recursive by default" grep -q "deep/eicar.txt: Eicar-Test-Signature FOUND" <<<"$out"
check "PUA not in the standard set" eval '! grep -q pua.bin <<<"$out"'
check "symlinks not followed in a walk" eval '! grep -q "/link" <<<"$out"'
check "summary" grep -q '^Infected files: 5$' <<<"$out"
check "clean file not printed by default" eval '! grep -q clean.txt <<<"$out"'

out=$(vs --set extended --no-summary "$T/tree/pua.bin"); rc=$?
check "--set extended finds PUA" [ "$out" = "$T/tree/pua.bin: PUA.Vigil.Test-1 FOUND" ]

out=$(vs --no-summary "$T/tree/clean.txt"); rc=$?
check "exit 0 when clean" [ $rc -eq 0 ] && check "nothing printed for a clean file" [ -z "$out" ]
out=$(vs --no-summary --show-ok "$T/tree/clean.txt")
check "--show-ok" [ "$out" = "$T/tree/clean.txt: OK" ]

out=$(vs --no-summary "$T/nonexistent"); rc=$?
check "exit 2 on an error" [ $rc -eq 2 ]
check "error line" grep -q "nonexistent: .*ERROR" <<<"$out"

vs --json "$T/tree" > "$T/json"
check "--json: one valid object per file" python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
by = {o["path"].rsplit("/", 1)[1]: o for o in objs}
assert len(objs) == 7, len(objs)
assert by["eicar.com"]["status"] == "INFECTED" and by["eicar.com"]["threat"] == "Eicar-Test-Signature"
assert by["clean.txt"]["status"] == "CLEAN" and by["clean.txt"]["threat"] is None
' "$T/json"

printf '%s\n' "$T/tree/eicar.com" "$T/tree/clean.txt" > "$T/list"
out=$(vs --no-summary -@ "$T/list")
check "-@ list file" [ "$out" = "$T/tree/eicar.com: Eicar-Test-Signature FOUND" ]
out=$(vs --no-summary "-@$T/list")
check "-@FILE joined" [ "$out" = "$T/tree/eicar.com: Eicar-Test-Signature FOUND" ]

out=$(vs --no-summary --exclude-dir "$T/tree/skipme" --exclude '*.txt' "$T/tree")
check "--exclude-dir" eval '! grep -q skipme <<<"$out"'
check "--exclude mask" eval '! grep -q "eicar.txt" <<<"$out"'
check "others still found" grep -q "eicar.com: Eicar" <<<"$out"

out=$(vs --no-summary --no-recursive "$T/tree")
check "--no-recursive" eval '! grep -q "sub/" <<<"$out"'

out=$(cd "$T/tree/sub" && vs --no-summary)
check "no path: the current directory, recursively" grep -q "deep/eicar.txt: Eicar-Test-Signature FOUND" <<<"$out"

vs -q -o "$T/report.log" "$T/tree" > "$T/stdout"
check "-o report file has the detections" grep -q "eicar.com: Eicar-Test-Signature FOUND" "$T/report.log"
check "-q: no summary" eval '! grep -q SUMMARY "$T/stdout"'

one=$(vs --no-summary -j 1 "$T/tree" | sort); two=$(vs --no-summary -j 4 "$T/tree" | sort)
check "-j 4 gives the same verdicts as -j 1" [ "$one" = "$two" ]

out=$(vs --list-threats)
check "--list-threats" grep -q "^Eicar-Test-Signature" <<<"$out"
check "--list-threats shows sets" grep -q "^PUA.Vigil.Test-1.*extended" <<<"$out"

mkdir "$T/baddb"; printf 'Good:0:*:41424344\nBad:0:*:4142zz\n' > "$T/baddb/x.ndb"
out=$("$VIGIL_SCAN" -c "$T/empty.conf" -d "$T/baddb" --no-cache "$T/tree/clean.txt" 2>&1); rc=$?
check "malformed database: exit 2" [ $rc -eq 2 ]
check "malformed database: file:line: reason" grep -q "x.ndb:2: " <<<"$out"

vs -v --no-summary "$T/tree/clean.txt" 2> "$T/v1"; vs -v --no-summary "$T/tree/clean.txt" 2> "$T/v2"
check "second load comes from the compiled cache" grep -q "compiled cache" "$T/v2"
finish
