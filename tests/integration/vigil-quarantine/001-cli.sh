#!/bin/bash
# 001-cli: vigil-quarantine's commands, exit codes, the store on disk
# (encrypted, 0600/0700), backup replacement and the configuration keys.
. "$(dirname "$0")/../lib.sh"

VQ=${VIGIL_QUARANTINE:-$VIGIL_BUILD/src/vigil-quarantine/vigil-quarantine}
[ -x "$VQ" ] || { echo "skip: $VQ not built"; exit 77; }
S=$T/store
# vq ARGS - run vigil-quarantine on the scratch store, bounded in time
vq() { timeout 60 "$VQ" -c "$T/empty.conf" -d "$S" "$@"; }
# vqc CONF ARGS - run it with a configuration file and no -d
vqc() { local c=$1; shift; timeout 60 "$VQ" -c "$c" "$@"; }

mkdir -p "$T/files"
eicar "$T/files/eicar.com"
cp "$T/files/eicar.com" "$T/files/orig.com"
chmod 4755 "$T/files/eicar.com"

out=$("$VQ" --help); rc=$?
check "--help exits 0" [ $rc -eq 0 ]
check "--help shows the commands" grep -q "restore ID \[DEST\]" <<<"$out"
"$VQ" > /dev/null 2>&1; rc=$?
check "no command: exit 2" [ $rc -eq 2 ]
vq frobnicate > /dev/null 2>&1; rc=$?
check "unknown command: exit 2" [ $rc -eq 2 ]
vq show > /dev/null 2>&1; rc=$?
check "missing operand: exit 2" [ $rc -eq 2 ]
vq list --force > /dev/null 2>&1; rc=$?
check "option of another command: exit 2" [ $rc -eq 2 ]

out=$(vq list); rc=$?
check "empty store lists nothing" [ $rc -eq 0 ] && check "empty output" [ -z "$out" ]
check "store directory 0700" [ "$(stat -c %a "$S")" = 700 ]
check "key file 0600" [ "$(stat -c %a "$S/store.key")" = 600 ]
check "key file 32 bytes" [ "$(stat -c %s "$S/store.key")" = 32 ]

id=$(cd "$T/files" && vq add eicar.com --threat Eicar-Test-Signature); rc=$?
check "add: exit 0" [ $rc -eq 0 ]
check "add prints a 32-hex id" grep -qxE '[0-9a-f]{32}' <<<"$id"
check "add leaves the file in place" [ -f "$T/files/eicar.com" ]
check "object file 0600" [ "$(stat -c %a "$S/$id.vq")" = 600 ]
check "object file holds no plaintext" eval '! grep -q EICAR "$S/$id.vq"'
check "object file holds no origin" eval '! grep -q eicar.com "$S/$id.vq"'

out=$(vq list); rc=$?
check "list: exit 0" [ $rc -eq 0 ]
check "list line: id stored status threat size origin" grep -qxE \
    "$id [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z INFECTED Eicar-Test-Signature 68 $T/files/eicar.com" <<<"$out"

vq list --json > "$T/json"
check "list --json: valid, one object per line" python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 1, objs
o = objs[0]
assert o["id"] == sys.argv[2] and o["threat"] == "Eicar-Test-Signature"
assert o["status"] == "INFECTED" and o["size"] == 68 and o["mode"] == "4755"
assert o["origin"].endswith("/files/eicar.com") and o["reason"] == "manual"
assert o["sender"] is None
' "$T/json" "$id"

out=$(vq show "$id"); rc=$?
check "show: exit 0" [ $rc -eq 0 ]
check "show: origin" grep -qx "origin: $T/files/eicar.com" <<<"$out"
check "show: mode" grep -qx "mode: 4755" <<<"$out"
check "show --json" python3 -c 'import json,sys; assert json.loads(sys.stdin.read())["size"] == 68' <<<"$(vq show --json "$id")"
vq show ffffffffffffffffffffffffffffffff 2> "$T/err"; rc=$?
check "show unknown id: exit 1" [ $rc -eq 1 ]
check "show unknown id: message" grep -q "no such object" "$T/err"
vq show ../store.key 2> "$T/err"; rc=$?
check "show ../store.key: exit 2" [ $rc -eq 2 ]
check "invalid id message" grep -q "invalid id" "$T/err"

# restore: refuses an existing file, then replaces it with --force
vq restore "$id" 2> "$T/err"; rc=$?
check "restore over the original: exit 2" [ $rc -eq 2 ]
check "restore over the original: --force hint" grep -q -- "--force" "$T/err"
rm -f "$T/files/eicar.com"
vq restore "$id" > /dev/null; rc=$?
check "restore to the origin: exit 0" [ $rc -eq 0 ]
check "restored content" cmp -s "$T/files/eicar.com" "$T/files/orig.com"
check "restored mode without setuid" [ "$(stat -c %a "$T/files/eicar.com")" = 755 ]
check "object kept after restore" [ -f "$S/$id.vq" ]
printf 'other' > "$T/files/dest"
vq restore "$id" "$T/files/dest" > /dev/null 2>&1; rc=$?
check "restore to DEST that exists: exit 2" [ $rc -eq 2 ]
check "DEST untouched" [ "$(cat "$T/files/dest")" = other ]
vq restore "$id" "$T/files/dest" --force > /dev/null; rc=$?
check "restore --force: exit 0" [ $rc -eq 0 ]
check "restore --force content" cmp -s "$T/files/dest" "$T/files/orig.com"
vq restore ffffffffffffffffffffffffffffffff "$T/files/x" 2> /dev/null; rc=$?
check "restore unknown id: exit 1" [ $rc -eq 1 ]

# extract: a 0600 copy for analysis
vq extract "$id" "$T/copy"; rc=$?
check "extract: exit 0" [ $rc -eq 0 ]
check "extract content" cmp -s "$T/copy" "$T/files/orig.com"
check "extract mode 0600" [ "$(stat -c %a "$T/copy")" = 600 ]
vq extract "$id" "$T/copy" 2> /dev/null; rc=$?
check "extract over a file: exit 2" [ $rc -eq 2 ]
vq extract "$id" "$T/copy" --force; rc=$?
check "extract --force: exit 0" [ $rc -eq 0 ]
vq extract "$id" - > "$T/copy2"; rc=$?
check "extract to stdout" cmp -s "$T/copy2" "$T/files/orig.com"

# tampering is detected and leaves no output
cp "$S/$id.vq" "$T/saved.vq"
python3 -c '
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-3] ^= 1
open(p, "wb").write(b)' "$S/$id.vq"
vq extract "$id" "$T/tampered" 2> "$T/err"; rc=$?
check "tampered object: exit 2" [ $rc -eq 2 ]
check "tampered object: authentication message" grep -q "authentication" "$T/err"
check "tampered object: no output file" [ ! -e "$T/tampered" ]
cp "$T/saved.vq" "$S/$id.vq"
head -c 100 "$T/saved.vq" > "$S/$id.vq"
vq extract "$id" "$T/trunc" 2> /dev/null; rc=$?
check "truncated object: exit 2" [ $rc -eq 2 ]
check "truncated object: no output file" [ ! -e "$T/trunc" ]
cp "$T/saved.vq" "$S/$id.vq"

# a file name with a line feed stays on one list line
printf 'x' > "$T/files/bad
name"
id2=$(vq add "$T/files/bad
name")
check "two objects listed, two lines" [ "$(vq list | wc -l)" -eq 2 ]
check "line feed quoted" grep -q 'bad\\x0aname' <<<"$(vq list)"

# delete
vq delete "$id2" > /dev/null; rc=$?
check "delete: exit 0" [ $rc -eq 0 ]
vq delete "$id2" 2> /dev/null; rc=$?
check "delete again: exit 1" [ $rc -eq 1 ]
vq delete "$id" ffffffffffffffffffffffffffffffff > /dev/null 2>&1; rc=$?
check "delete found + missing: exit 1" [ $rc -eq 1 ]
check "the found one is gone" [ ! -e "$S/$id.vq" ]
vq delete ../../etc/passwd 2> /dev/null; rc=$?
check "delete an invalid id: exit 2" [ $rc -eq 2 ]

# purge
for i in 1 2 3; do vq add "$T/files/orig.com" > /dev/null; done
out=$(vq purge --older-than 1); rc=$?
check "purge --older-than 1: nothing that old" [ "$out" = "purged 0 object(s)" ]
out=$(vq purge); rc=$?
check "purge: all" [ "$out" = "purged 3 object(s)" ]
check "purge: list empty" [ -z "$(vq list)" ]
vq purge --older-than x > /dev/null 2>&1; rc=$?
check "purge --older-than x: exit 2" [ $rc -eq 2 ]

# an unsafe key is refused
chmod 644 "$S/store.key"
vq list 2> "$T/err"; rc=$?
check "group-readable key: exit 2" [ $rc -eq 2 ]
check "group-readable key: message" grep -q "mode" "$T/err"
chmod 600 "$S/store.key"

# configuration: [path], [scanner.path] override, BackupPath
vqc "$T/empty.conf" --backup list 2> "$T/err"; rc=$?
check "--backup with empty BackupPath: exit 2" [ $rc -eq 2 ]
check "--backup off message" grep -q "backup is off (BackupPath is empty)" "$T/err"
printf '[path]\nQuarantinePath = %s\nBackupPath = %s\n' "$T/q1" "$T/b1" > "$T/a.conf"
vqc "$T/a.conf" add "$T/files/orig.com" > /dev/null
check "[path] QuarantinePath used" [ "$(ls "$T/q1" | grep -c '\.vq$')" -eq 1 ]
printf '[path]\nQuarantinePath = %s\n[scanner.path]\nQuarantinePath = %s\n' \
    "$T/q1" "$T/q2" > "$T/b.conf"
vqc "$T/b.conf" add "$T/files/orig.com" > /dev/null
check "[scanner.path] QuarantinePath overrides" [ "$(ls "$T/q2" | grep -c '\.vq$')" -eq 1 ]
check "... and [path] is untouched" [ "$(ls "$T/q1" | grep -c '\.vq$')" -eq 1 ]
vqc "$T/b.conf" -d "$T/q3" add "$T/files/orig.com" > /dev/null
check "-d overrides the configuration" [ "$(ls "$T/q3" | grep -c '\.vq$')" -eq 1 ]
printf 'bad line\n' > "$T/bad.conf"
vqc "$T/bad.conf" list > /dev/null 2>&1; rc=$?
check "malformed configuration: exit 2" [ $rc -eq 2 ]

# backup: the newest copy of the same file replaces the older one
printf 'version 1' > "$T/files/doc"
b1=$(vqc "$T/a.conf" --backup add "$T/files/doc")
printf 'version 2' > "$T/files/doc"
b2=$(vqc "$T/a.conf" --backup add "$T/files/doc")
check "backup: same id for the same file" [ "$b1" = "$b2" ]
check "backup: one object" [ "$(vqc "$T/a.conf" --backup list | wc -l)" -eq 1 ]
vqc "$T/a.conf" --backup extract "$b2" "$T/doc.bak"
check "backup: the newest content" [ "$(cat "$T/doc.bak")" = "version 2" ]
check "backup store separate from quarantine" [ "$(ls "$T/b1" | grep -c '\.vq$')" -eq 1 ]

finish
