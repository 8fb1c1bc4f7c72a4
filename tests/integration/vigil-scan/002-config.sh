#!/bin/bash
# 002-config: vigil-scan takes its settings from vigil.conf (-c FILE) and
# refuses a bad file with file, line and key.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/tree"
eicar "$T/tree/a.com"
eicar "$T/tree/b.skip"
printf 'VIGIL-TEST-PUA-SAMPLE' > "$T/tree/pua.bin"

cat > "$T/good.conf" <<CONF
[path]
BasesPath=$DB
CachePath=$T/cache

[scanner.options]
DatabaseSet = extended
ExcludeMask=*.skip
Threads=2

[scanner.report]
ReportFileName=$T/report.log
Append=no
CONF
out=$("$VIGIL_SCAN" -c "$T/good.conf" --no-summary "$T/tree"); rc=$?
check "BasesPath from the file: detection, exit 1" [ $rc -eq 1 ]
check "DatabaseSet=extended" grep -q "pua.bin: PUA.Vigil.Test-1 FOUND" <<<"$out"
check "ExcludeMask" eval '! grep -q b.skip <<<"$out"'
check "ReportFileName" grep -q "a.com: Eicar-Test-Signature FOUND" "$T/report.log"
check "CachePath used" ls "$T"/cache/*.vdb

printf '[path]\nBasesPath=%s\n\n[scanner.options]\nBogusKey=1\n' "$DB" > "$T/bad.conf"
out=$("$VIGIL_SCAN" -c "$T/bad.conf" "$T/tree" 2>&1); rc=$?
check "unknown key: exit 2" [ $rc -eq 2 ]
check "unknown key: file:line: [section] key" grep -q "bad.conf:5: \[scanner.options\] BogusKey" <<<"$out"

printf '[scanner.options]\nRecursion=maybe\n' > "$T/bad2.conf"
out=$("$VIGIL_SCAN" -c "$T/bad2.conf" "$T/tree" 2>&1); rc=$?
check "bad boolean: exit 2 and named" grep -q "bad2.conf:2: \[scanner.options\] Recursion" <<<"$out"

printf '[nosuch.section]\nA=1\n' > "$T/bad3.conf"
out=$("$VIGIL_SCAN" -c "$T/bad3.conf" "$T/tree" 2>&1); rc=$?
check "unknown section named" grep -q "bad3.conf:1: .*nosuch.section" <<<"$out"

out=$("$VIGIL_SCAN" -c "$T/missing.conf" "$T/tree" 2>&1); rc=$?
check "missing -c file: exit 2" [ $rc -eq 2 ]
finish
