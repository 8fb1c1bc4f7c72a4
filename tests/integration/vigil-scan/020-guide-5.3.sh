#!/bin/bash
# 020-guide-5.3: the mail-servers guide's section 5.3 tasks, each written as
# the guide gives it (paths adjusted), with the outcome the guide promises:
# on-demand cure-or-delete, a cron-style run from a configuration file,
# a script run on infected archives with a list file, notification
# commands, moving to a directory with full paths, several actions in one
# rule, quarantine, and backup before cure or removal.
. "$(dirname "$0")/../lib.sh"

VQ=${VIGIL_QUARANTINE:-$VIGIL_BUILD/src/vigil-quarantine/vigil-quarantine}
mkzip() { (cd "$1" && shift && python3 - "$@" <<'PY'
import sys, zipfile
out = sys.argv[1]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for n in sys.argv[2:]:
        z.write(n)
PY
); }

# --- 5.3.1 on-demand scanning: cure, else delete; a dated log -------------
mkdir -p "$T/tmp1/sub" "$T/z"
eicar "$T/tmp1/eicar.com"
eicar "$T/z/virus.exe"; echo "keep me" > "$T/z/readme.txt"
mkzip "$T/z" "$T/tmp1/sub/mixed.zip" virus.exe readme.txt
echo "clean" > "$T/tmp1/clean.txt"
cd "$T/tmp1" || exit 1
log="vigil-scan-$(date +%F).log"
vs -Rlq -o"$log" -i3 -ePASBME -j3 -mCn "$T/tmp1" > "$T/out1"; rc=$?
check "5.3.1: exit 1 (threats found)" [ $rc -eq 1 ]
check "5.3.1: dated log written in the current directory" test -s "$T/tmp1/$log"
check "5.3.1: log names the member" grep -q "mixed.zip/virus.exe: Eicar-Test-Signature FOUND" "$T/tmp1/$log"
check "5.3.1: not curable file deleted" test ! -e "$T/tmp1/eicar.com"
check "5.3.1: archive cured, still there" test -s "$T/tmp1/sub/mixed.zip"
check "5.3.1: cured archive keeps the clean member" python3 -c "
import zipfile,sys; z=zipfile.ZipFile('$T/tmp1/sub/mixed.zip'); n=z.namelist()
sys.exit(0 if n==['readme.txt'] and z.read('readme.txt')==b'keep me\n' else 1)"
check "5.3.1: clean file untouched" grep -qx clean "$T/tmp1/clean.txt"
out=$(vs --no-summary "$T/tmp1"); rc=$?
check "5.3.1: a rescan finds nothing" [ $rc -eq 0 ]
# the guide's typography: a Cyrillic o and en dashes
eicar "$T/tmp1/again.com"
vs $'\u2013'q $'-\u043e'"$T/cyr.log" $'\u2013'i0 "$T/tmp1" > /dev/null
check "5.3.1: '-о' and '–' as printed in the guide" grep -q "again.com: Eicar" "$T/cyr.log"

# --- 5.3.2 cron: everything from the configuration file -------------------
mkdir -p "$T/home/u"; eicar "$T/home/u/x.com"
cat > "$T/cron.conf" <<CONF
[path]
BasesPath=$DB
CachePath=$T/cache
[scanner.report]
ReportFileName=$T/cron.log
[scanner.options]
Recursion=yes
CONF
"$VIGIL_SCAN" -c "$T/cron.conf" "$T/home" > /dev/null; rc=$?
check "5.3.2: exit 1" [ $rc -eq 1 ]
check "5.3.2: report file from ReportFileName" grep -q "u/x.com: Eicar-Test-Signature FOUND" "$T/cron.log"

# --- 5.3.3.1 a script on infected archives, a list file -------------------
mkdir -p "$T/arch/a" "$T/w"; eicar "$T/w/bad.exe"; echo ok > "$T/w/ok.txt"
mkzip "$T/w" "$T/arch/a/one.zip" bad.exe ok.txt
eicar "$T/arch/plain.com"
cat > "$T/vox.sh" <<'SH'
#!/bin/sh
echo "vox $1" >> "$VOX_LOG"
SH
chmod +x "$T/vox.sh"
cat > "$T/kavscanner.conf.in" <<CONF
[path]
BasesPath=$DB
[scanner.container]
OnInfected=exec $T/vox.sh %FULLPATH%/%FILENAME%
CONF
export VOX_LOG=$T/vox.log
"$VIGIL_SCAN" -c "$T/kavscanner.conf.in" -ePASE -qR -o "$T/logfile.log" -j3 -pi"$T/infected_archive.lst" "$T/arch" > /dev/null
check "5.3.3.1: the script ran for the archive" grep -qx "vox $T/arch/a/one.zip" "$T/vox.log"
check "5.3.3.1: not for the plain file (object rule)" eval "! grep -q plain.com '$T/vox.log'"
check "5.3.3.1: list of infected objects" grep -qx "$T/arch/a/one.zip" "$T/infected_archive.lst"
check "5.3.3.1: report file" grep -q "one.zip/bad.exe: Eicar" "$T/logfile.log"

# --- 5.3.3.2 notification commands (mail replaced by a file) -------------
cat > "$T/notify.conf" <<CONF
[path]
BasesPath=$DB
[scanner.object]
OnInfected=exec echo %FULLPATH%/%FILENAME% is\\
 infected by %VIRUSNAME% | cat >> $T/notify.txt
[scanner.container]
OnInfected=exec echo archive %FULLPATH%/%FILENAME%\\
 is infected, viruses list is in the attached file\\
 %LIST% | cat - %LIST% >> $T/notify.txt
CONF
"$VIGIL_SCAN" -c "$T/notify.conf" -q "$T/arch" > /dev/null
check "5.3.3.2: object notification" grep -qx "$T/arch/plain.com is infected by Eicar-Test-Signature" "$T/notify.txt"
check "5.3.3.2: container notification" grep -q "^archive $T/arch/a/one.zip is infected" "$T/notify.txt"
check "5.3.3.2: %LIST% holds the member" grep -q "^bad.exe	INFECTED	Eicar-Test-Signature" "$T/notify.txt"

# --- 5.3.4 moving objects: movePath, a list file, no recursion ------------
mkdir -p "$T/dl/inner"; eicar "$T/dl/a.com"; eicar "$T/dl/inner/b.com"; echo c > "$T/dl/c.txt"
printf '%s\n' "$T/dl/a.com" "$T/dl/c.txt" "$T/dl/inner" > "$T/download.lst"
cat > "$T/move.conf" <<CONF
[path]
BasesPath=$DB
[scanner.options]
Cure=no
[scanner.object]
OnInfected=movePath $T/infected
[scanner.container]
OnInfected=movePath $T/infected
CONF
"$VIGIL_SCAN" -c "$T/move.conf" -@"$T/download.lst" -ePASBME -rq -i0 -o "$T/report.log" -j3 -mCn > /dev/null
check "5.3.4: moved with its full path" test -s "$T/infected$T/dl/a.com"
check "5.3.4: gone from its place" test ! -e "$T/dl/a.com"
check "5.3.4: a listed directory is scanned (not its subdirectories' content only)" test -s "$T/infected$T/dl/inner/b.com"
check "5.3.4: clean file stays" test -e "$T/dl/c.txt"
check "5.3.4: report" grep -q "a.com: Eicar-Test-Signature FOUND" "$T/report.log"
# several actions in one rule, joined with ';'
mkdir -p "$T/inf2" "$T/m2"; eicar "$T/m2/x.exe"; chmod 755 "$T/m2/x.exe"
cat > "$T/multi.conf" <<CONF
[path]
BasesPath=$DB
[scanner.object]
OnInfected=exec mv %FULLPATH%/%FILENAME%\\
 $T/inf2/%FILENAME%; chmod -x\\
 $T/inf2/%FILENAME%
CONF
"$VIGIL_SCAN" -c "$T/multi.conf" -q "$T/m2" > /dev/null
check "5.3.4 example: moved by the first command" test -e "$T/inf2/x.exe"
check "5.3.4 example: chmod -x by the second" test ! -x "$T/inf2/x.exe"

# --- quarantine -----------------------------------------------------------
mkdir -p "$T/q"; eicar "$T/q/evil.com"
cat > "$T/q.conf" <<CONF
[path]
BasesPath=$DB
QuarantinePath=$T/quarantine
[scanner.object]
OnInfected=quarantine
CONF
"$VIGIL_SCAN" -c "$T/q.conf" -q "$T/q" > "$T/qout"
check "quarantine: file gone" test ! -e "$T/q/evil.com"
check "quarantine: stored encrypted (no plain copy)" eval "! grep -rq 'EICAR-STANDARD' '$T/quarantine'"
check "quarantine: key mode 0600" [ "$(stat -c %a "$T/quarantine/store.key")" = 600 ]
id=$("$VQ" -d "$T/quarantine" list | awk 'NR==1{print $1}')
check "quarantine: listed" grep -q "evil.com" <("$VQ" -d "$T/quarantine" list)
"$VQ" -d "$T/quarantine" restore "$id" > /dev/null
check "quarantine: restored" grep -q EICAR-STANDARD "$T/q/evil.com"

# --- 5.3.5 backup before cure or removal, newest copy replaces ------------
mkdir -p "$T/b"; eicar "$T/b/del.com"
cat > "$T/b.conf" <<CONF
[path]
BasesPath=$DB
[scanner.path]
BackupPath=$T/backup
CONF
"$VIGIL_SCAN" -c "$T/b.conf" -q -i2 "$T/b" > /dev/null
check "5.3.5: removed" test ! -e "$T/b/del.com"
check "5.3.5: one backup copy" [ "$("$VQ" -d "$T/backup" list | wc -l)" -eq 1 ]
eicar "$T/b/del.com"; echo "second" >> "$T/b/del.com"
"$VIGIL_SCAN" -c "$T/b.conf" -q -i2 "$T/b" > /dev/null
check "5.3.5: a newer copy replaces the older" [ "$("$VQ" -d "$T/backup" list | wc -l)" -eq 1 ]
bid=$("$VQ" -d "$T/backup" list | awk 'NR==1{print $1}')
"$VQ" -d "$T/backup" extract "$bid" "$T/restored" > /dev/null
check "5.3.5: the backup holds the newest content" grep -q second "$T/restored"

finish
