#!/bin/bash
# 001-transports: vigil-smtpd between a client (swaks, smtpc.py) and the
# sink (sink.py), over every transport: the daemon speaking SMTP and LMTP
# upstream, one session on stdin/stdout (-s, driven by swaks --pipe), the
# qmail-queue replacement (-q, with a fake original qmail-queue), and
# ForwardMailer forms smtp:HOST:PORT, lmtp:HOST:PORT, smtp:(COMMAND) and
# qmail:(PATH).
#
# What is checked: a clean message is delivered byte for byte (apart from
# the X-Vigil-* lines) with X-Vigil-Status: CLEAN; EICAR attached, and
# EICAR in a zip, come out CURED (the part replaced by a notice, no EICAR
# anywhere) with admin and sender notifications (null envelope sender,
# X-Vigil-Notification) and the recipient's notice attached to the copy; a password-protected zip is PROTECTED and
# delivered as it is; an .exe attachment is FILTERED (removed) and
# quarantined (FilterByName, Quarantine + FilteredQuarantine); BODY=8BITMIME,
# SMTPUTF8 with UTF-8 addresses, DSN (RET ENVID NOTIFY ORCPT) and XFORWARD
# reach the sink; vigild stopped -> 451 4.x.x and nothing delivered, then
# started again -> delivered; the sink refusing (4xx, 5xx) -> the same
# class upstream, the sink slow -> 250 all the same; LMTP: one reply per recipient, the sink refusing one of
# three at DATA; the report file's lines.  Bounded: well under 2 minutes.
. "$(dirname "$0")/slib.sh" || exit 1
need_smtpd

eicar "$T/eicar.com"
printf 'MZ\x90\x00\x03\x00\x00\x00 not really a program\n' > "$T/setup.bin"
mk_plain "$T/clean.eml" "clean one"
mk_attach "$T/att.eml" "eicar attached" eicar.com "$T/eicar.com"
mk_zip "$T/eicar.zip" eicar.com "$T/eicar.com"
mk_attach "$T/zip.eml" "eicar zipped" eicar.zip "$T/eicar.zip" application/zip
mk_zip "$T/prot.zip" eicar.com "$T/eicar.com" s3cret
mk_attach "$T/prot.eml" "protected zip" secret.zip "$T/prot.zip" application/zip
mk_attach "$T/exe.eml" "exe attached" setup.exe "$T/setup.bin"
out=$(vs "$T/prot.zip" 2>&1)
check "engine: the encrypted zip is PROTECTED (vigil-scan)" grep -q PROTECTED <<<"$out"
[ -n "$(grep PROTECTED <<<"$out")" ] || sed 's/^/    | /' <<<"$out" | head -3

# the reference: what swaks makes of a message file, straight into a sink
sink_start ref
REF=$SINK_DIR
# ref_of FILE - the reference transaction's message for FILE (swaks sends
# it to the ref sink once)
ref_of() {
	local n
	timeout 60 swaks --server "127.0.0.1:$(cat "$REF/port")" --helo client.test \
		--from sender@example.com --to rcpt@example.org --data "$1" \
		> /dev/null 2>&1
	n=$(scount "$REF")
	echo "$REF/$n.eml"
}
# same_msg DELIVERED FILE - true when DELIVERED without its X-Vigil-* lines
# is what swaks sends for FILE
same_msg() { strip_x "$1" > "$1.stripped" && cmp -s "$1.stripped" "$(ref_of "$2")"; }

# SMTP daemon, ForwardMailer=smtp:HOST:PORT ---------------------------------
sink_start main
SCONF_GROUPS="[smtpscan.group:default]
AdminAddress=admin@example.org
FilterByName=.*\\.exe\$
Quarantine=yes
FilteredQuarantine=yes"
smtpd_conf
out=$("$SMTPD" -t -c "$CONF" 2>&1); rc=$?
check "smtp: vigil-smtpd -t accepts the configuration" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/    | /' <<<"$out"
vigild_start
smtpd_start

# clean
mark
sw --from sender@example.com --to rcpt@example.org --data "$T/clean.eml"
check "smtp clean: swaks succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || txshow
n=$(copy_to rcpt@example.org)
check "smtp clean: delivered once" eval '[ -n "$n" ] && [ "${n// /}" = "$n" ]'
if [ -n "$n" ]; then
	n=${n%% *}
	check "smtp clean: X-Vigil-Status: CLEAN" [ "$(sget "$n" 'hdr("X-Vigil-Status")')" = CLEAN ]
	check "smtp clean: byte for byte apart from X-Vigil-* (dot lines too)" \
		same_msg "$(seml "$n")" "$T/clean.eml"
	check "smtp clean: envelope sender kept" [ "$(sget "$n" 'j["mail_from"]')" = sender@example.com ]
fi
quiet_for 5
check "smtp clean: no notification" eval '! new "j[\"mail_from\"] == \"\""'

# EICAR attached: CURED
mark
sw --from sender@example.com --to rcpt@example.org --data "$T/att.eml"
check "eicar attached: swaks succeeds (250)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || txshow
settle
n=$(copy_to rcpt@example.org)
check "eicar attached: the recipient's copy delivered" [ -n "$n" ]
if [ -n "$n" ]; then
	n=${n%% *}
	check "eicar attached: X-Vigil-Status: CURED" [ "$(sget "$n" 'hdr("X-Vigil-Status")')" = CURED ]
	check "eicar attached: X-Vigil-Action: cured" [ "$(sget "$n" 'hdr("X-Vigil-Action")')" = cured ]
	check "eicar attached: X-Vigil-Threats names $T_EICAR" \
		grep -q "$T_EICAR" <<<"$(sget "$n" 'hdr("X-Vigil-Threats")')"
	check "eicar attached: no EICAR in the copy" [ "$(sget "$n" eicar)" = false ]
	check "eicar attached: the attachment replaced (no octet-stream part left)" \
		[ "$(sget "$n" 'any(p[0] == "application/octet-stream" for p in parts)')" = false ]
	check "eicar attached: the text part kept" \
		[ "$(sget "$n" 'any(b"See the attachment." in p[2] for p in parts)')" = true ]
	check "eicar attached: the copy carries the report (RecipientAttachReport)" \
		sis "$n" 'rfc822 >= 1' true
fi
notif_ok "eicar attached" admin admin@example.org
notif_ok "eicar attached" sender sender@example.com
# the recipients' notice is the report attached to their copy
no_notif "eicar attached: the recipient (the report is in the copy)" recipient rcpt@example.org
check "eicar attached: nothing delivered holds EICAR (CuredAdminAction=cured)" \
	eval '! new eicar'
check "eicar attached: report line status=CURED action=cured" \
	report_has "from=<sender@example.com> to=<rcpt@example.org>.* status=CURED action=cured threats=[^ ]*$T_EICAR"
[ "$failures" -eq 0 ] || sshow

# EICAR in a zip
mark
sw --from sender@example.com --to rcpt@example.org --data "$T/zip.eml"
check "eicar in a zip: swaks succeeds (250)" [ $rc -eq 0 ]
settle
n=$(copy_to rcpt@example.org)
check "eicar in a zip: the recipient's copy delivered" [ -n "$n" ]
if [ -n "$n" ]; then
	n=${n%% *}
	check "eicar in a zip: X-Vigil-Status: CURED" [ "$(sget "$n" 'hdr("X-Vigil-Status")')" = CURED ]
	check "eicar in a zip: no EICAR in the copy, zipped or not" [ "$(sget "$n" eicar)" = false ]
	check "eicar in a zip: the zip is gone" \
		[ "$(sget "$n" 'any(p[1] == "eicar.zip" or p[0] == "zip-member" for p in parts)')" = false ]
fi
notif_ok "eicar in a zip" admin admin@example.org
notif_ok "eicar in a zip" sender sender@example.com

# password-protected zip: PROTECTED, delivered as it is
mark
sw --from sender@example.com --to rcpt@example.org --data "$T/prot.eml"
check "protected zip: swaks succeeds (250)" [ $rc -eq 0 ]
settle
n=$(copy_to rcpt@example.org)
check "protected zip: the recipient's copy delivered" [ -n "$n" ]
if [ -n "$n" ]; then
	n=${n%% *}
	check "protected zip: X-Vigil-Status: PROTECTED" [ "$(sget "$n" 'hdr("X-Vigil-Status")')" = PROTECTED ]
	check "protected zip: the zip delivered intact" \
		[ "$(sget "$n" "any(p[2] == open('$T/prot.zip', 'rb').read() for p in parts)")" = true ]
fi
notif_ok "protected zip" admin admin@example.org
quiet_for 5
check "protected zip: no sender notification (ProtectedSenderNotify=no)" \
	eval '[ -z "$(notif sender sender@example.com)" ]'
check "protected zip: report line status=PROTECTED" report_has "status=PROTECTED"

# .exe attachment: FILTERED, removed, quarantined
mark
sw --from sender@example.com --to rcpt@example.org --data "$T/exe.eml"
check "exe attached: swaks succeeds (250)" [ $rc -eq 0 ]
settle
n=$(copy_to rcpt@example.org)
check "exe attached: the recipient's copy delivered" [ -n "$n" ]
if [ -n "$n" ]; then
	n=${n%% *}
	check "exe attached: X-Vigil-Status: FILTERED" [ "$(sget "$n" 'hdr("X-Vigil-Status")')" = FILTERED ]
	check "exe attached: setup.exe removed" \
		[ "$(sget "$n" 'any(p[2].startswith(b"MZ") for p in parts)')" = false ]
fi
out=$(vq list 2>&1)
check "exe attached: quarantined (vigil-quarantine list: FILTERED)" grep -q FILTERED <<<"$out"
check "exe attached: quarantine origin names the envelope" \
	grep -qF "mail from <sender@example.com> to <rcpt@example.org>" <<<"$out"
[ -n "$(grep FILTERED <<<"$out")" ] || sed 's/^/    | /' <<<"$out" | head -5
check "exe attached: report line status=FILTERED" report_has "status=FILTERED"

# 8BITMIME
printf 'From: s@example.com\r\nTo: r@example.org\r\nSubject: 8bit\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdfe aus K\xf6ln\r\n' > "$T/8bit.eml"
mark
sc --from sender@example.com --mail-params BODY=8BITMIME --to rcpt@example.org --data "$T/8bit.eml"
check "8bit: accepted" [ $rc -eq 0 ]
n=$(copy_to rcpt@example.org)
check "8bit: delivered with BODY=8BITMIME" \
	sis "$n" '"BODY=8BITMIME" in j["mail_params"]' true
[ -n "$n" ] && check "8bit: 8-bit bytes intact" \
	[ "$(sget "${n%% *}" "'Gr\\xfc\\xdfe aus K\\xf6ln' in b")" = true ]

# SMTPUTF8 and UTF-8 addresses
printf 'From: s\xc3\xa9nder@ex\xc3\xa4mple.com\r\nTo: r\xc3\xabcpt@ex\xc3\xa4mple.org\r\nSubject: utf8 \xe2\x9c\x93\r\n\r\nUTF-8 \xe2\x9c\x93\r\n' > "$T/utf8.eml"
mark
sc --from "sénder@exämple.com" --mail-params "SMTPUTF8 BODY=8BITMIME" \
	--to "rëcpt@exämple.org" --data "$T/utf8.eml"
check "smtputf8: accepted" [ $rc -eq 0 ]
[ $rc -eq 0 ] || txshow
n=$(new "j['mail_from'] == 'sénder@exämple.com' and rc == ['rëcpt@exämple.org']")
check "smtputf8: delivered with the UTF-8 envelope" [ -n "$n" ]
[ -n "$n" ] && check "smtputf8: SMTPUTF8 passed on" \
	[ "$(sget "${n%% *}" '"SMTPUTF8" in j["mail_params"]')" = true ]
[ -n "$n" ] && check "smtputf8: UTF-8 header kept" \
	[ "$(sget "${n%% *}" "'utf8 \\xe2\\x9c\\x93' in h")" = true ]

# DSN
mark
sz=$(stat -c %s "$T/clean.eml")
sc --from sender@example.com --mail-params "SIZE=$sz RET=HDRS ENVID=QQ314159" \
	--to "rcpt@example.org NOTIFY=SUCCESS,DELAY ORCPT=rfc822;rcpt@example.org" \
	--to "other@example.org NOTIFY=NEVER" --data "$T/clean.eml"
check "dsn: accepted" [ $rc -eq 0 ]
[ $rc -eq 0 ] || txshow
n=$(copy_to rcpt@example.org)
check "dsn: delivered" [ -n "$n" ]
if [ -n "$n" ]; then
	n=${n%% *}
	check "dsn: RET=HDRS and ENVID=QQ314159 passed on" \
		[ "$(sget "$n" '"RET=HDRS" in j["mail_params"] and "ENVID=QQ314159" in j["mail_params"]')" = true ]
	check "dsn: SIZE passed on" [ "$(sget "$n" 'any(p.startswith("SIZE=") for p in j["mail_params"])')" = true ]
	check "dsn: NOTIFY and ORCPT passed on per recipient" \
		[ "$(sget "$n" 'sorted(j["rcpts"], key=lambda r: r["addr"]) == [{"addr": "other@example.org", "params": ["NOTIFY=NEVER"]}, {"addr": "rcpt@example.org", "params": ["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;rcpt@example.org"]}]')" = true ]
fi

# XFORWARD
mark
sc --from sender@example.com --to rcpt@example.org \
	--xforward "NAME=mx.example.net ADDR=192.0.2.7 PROTO=ESMTP HELO=mx.example.net" \
	--data "$T/clean.eml"
check "xforward: accepted" [ $rc -eq 0 ]
[ $rc -eq 0 ] || txshow
n=$(copy_to rcpt@example.org)
check "xforward: delivered with NAME ADDR PROTO HELO" \
	sis "$n" 'j["xforward"] == {"NAME": "mx.example.net", "ADDR": "192.0.2.7", "PROTO": "ESMTP", "HELO": "mx.example.net"}' true
[ -n "$n" ] || txshow

# vigild stopped: 451 4.x.x, nothing delivered; started again: delivered
vigild_stop
mark
sc --from sender@example.com --to rcpt@example.org --data "$T/clean.eml"
code=$(result rcpt@example.org)
check "vigild down: 451 (got $code)" [ "$code" = 451 ]
check "vigild down: enhanced code 4.x.x" grep -qE '^S: 451[ -]4\.[0-9]+\.[0-9]+' "$TX"
[ "$code" = 451 ] || txshow
quiet_for 5
check "vigild down: nothing delivered" [ "$(scount)" -eq "$BASE" ]
vigild_start
sc --from sender@example.com --to rcpt@example.org --data "$T/clean.eml"
check "vigild up again: accepted (250)" [ "$(result rcpt@example.org)" = 250 ]
check "vigild up again: delivered" [ -n "$(copy_to rcpt@example.org)" ]

# the sink refusing
for ctl in "rcpt .* 450 4.2.1 mailbox busy" "data .* 451 4.3.2 try later" \
	"rcpt .* 550 5.1.1 no such user"; do
	sink_ctl "$ctl"
	want=${ctl#* * }
	want=${want:0:1}
	mark
	sc --from sender@example.com --to rcpt@example.org --data "$T/clean.eml"
	code=$(result rcpt@example.org)
	check "sink says '$ctl': ${want}xx upstream (got $code)" [ "${code:0:1}" = "$want" ]
	[ "${code:0:1}" = "$want" ] || txshow
	quiet_for 3
	check "sink says '$ctl': nothing delivered" [ "$(scount)" -eq "$BASE" ]
done
# a slow downstream: the upstream still gets its 250, after the sink's
sink_ctl "slow 2"
mark
sc --from sender@example.com --to rcpt@example.org --data "$T/clean.eml"
check "slow sink (2 s before its DATA reply): 250 upstream" [ "$(result rcpt@example.org)" = 250 ]
check "slow sink: delivered" [ -n "$(copy_to rcpt@example.org)" ]
# one recipient refused for good, the other taken: SMTP has one answer for
# both, so the upstream gets 250 and the sender a failure notice naming r2
sink_ctl "rcpt ^r2@ 550 5.1.1 no such user"
mark
sc --from sender@example.com --to r1@example.org --to r2@example.org \
	--data "$T/clean.eml"
check "partial refusal: 250 upstream" [ "$(result r1@example.org)" = 250 ]
check "partial refusal: r1 delivered" [ -n "$(copy_to r1@example.org)" ]
settle
n=$(notif failure sender@example.com)
check "partial refusal: failure notice to the sender" [ -n "$n" ]
check "partial refusal: the notice names r2 and the reply" \
	grep -q "r2@example.org>: 550 5.1.1 no such user" "$(seml "${n%% *}")"
sink_ctl

check "report: a CLEAN line with ShowOk=yes" \
	report_has "vigil-smtpd: msg id=.* from=<sender@example.com> to=<rcpt@example.org> group=default status=CLEAN"
check "report: lines carry size= and ms=" report_has "status=CLEAN .*size=[0-9]+ ms=[0-9]+"
check "report: the eicar lines name the message-id" report_has "message-id=<eicar-attached@example.com>.*status=CURED"
[ "$failures" -eq 0 ] || { diag; echo "--- main sink"; sshow; }
smtpd_stop

# LMTP daemon, ForwardMailer=lmtp:HOST:PORT ---------------------------------
sink_start lmtp --lmtp
sink_ctl "data ^r2@ 550 5.1.1 r2 refused at DATA"
PROTO=lmtp FWD=lmtp:127.0.0.1:$SINK_PORT smtpd_conf
PROTO=lmtp
smtpd_start
mark
sc --from sender@example.com --to r1@example.org --to r2@example.org \
	--to r3@example.org --data "$T/clean.eml"
check "lmtp: r1 250" [ "$(result r1@example.org)" = 250 ]
check "lmtp: r2 5xx (refused downstream at DATA)" [ "$(result r2@example.org | cut -c1)" = 5 ]
check "lmtp: r3 250" [ "$(result r3@example.org)" = 250 ]
check "lmtp: three replies after DATA" \
	[ "$(sed -n '/^C: DATA/,/^C: QUIT/p' "$TX" | grep -cE '^S: [245][0-9][0-9] ')" -eq 3 ]
n=$(new "j['mail_from'] == 'sender@example.com'")
check "lmtp: the sink got r1 and r3" sis "$n" 'sorted(rc)' '["r1@example.org", "r3@example.org"]'
check "lmtp: the sink was spoken to in LMTP" sis "$n" 'j["proto"]' lmtp
[ "$failures" -eq 0 ] || txshow
sink_ctl
mark
sw --from sender@example.com --to rcpt@example.org --data "$T/att.eml"
check "lmtp, swaks: eicar attached accepted" [ $rc -eq 0 ]
[ $rc -eq 0 ] || txshow
n=$(copy_to rcpt@example.org)
check "lmtp: eicar attached delivered CURED" sis "$n" 'hdr("X-Vigil-Status")' CURED
smtpd_stop
PROTO=smtp

# stdio (-s), driven by swaks --pipe ------------------------------------------
sink_start stdio
CONF=$T/stdio.conf SMTP_PORT=$(free_port) smtpd_conf
mark
n_tx=$((n_tx + 1)); TX=$T/tx.$n_tx
timeout 60 swaks --pipe "$SMTPD -c $T/stdio.conf -s" --helo client.test \
	--from sender@example.com --to rcpt@example.org --data "$T/clean.eml" > "$TX" 2>&1
rc=$?
check "stdio: swaks --pipe succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || txshow
n=$(copy_to rcpt@example.org)
check "stdio: delivered CLEAN" sis "$n" 'hdr("X-Vigil-Status")' CLEAN
[ -n "$n" ] && check "stdio: byte for byte apart from X-Vigil-*" same_msg "$(seml "${n%% *}")" "$T/clean.eml"
mark
n_tx=$((n_tx + 1)); TX=$T/tx.$n_tx
timeout 60 swaks --pipe "$SMTPD -c $T/stdio.conf -s" --helo client.test \
	--from sender@example.com --to rcpt@example.org --data "$T/att.eml" > "$TX" 2>&1
rc=$?
check "stdio: eicar attached accepted" [ $rc -eq 0 ]
settle
n=$(copy_to rcpt@example.org)
check "stdio: eicar attached delivered CURED" sis "$n" 'hdr("X-Vigil-Status")' CURED
check "stdio: admin notified" [ -n "$(notif admin admin@example.org)" ]

# ForwardMailer=smtp:(COMMAND): a sink on its stdin/stdout ----------------------
CMDSINK=$T/sink.cmd
mkdir -p "$CMDSINK"
FWD="smtp:(python3 $SDIR/sink.py --stdio --dir $CMDSINK --lifetime 120)" smtpd_conf
smtpd_start
BASE=0
sw --from sender@example.com --to rcpt@example.org --data "$T/clean.eml"
check "smtp:(command): clean accepted" [ $rc -eq 0 ]
[ $rc -eq 0 ] || txshow
n=$(copy_to rcpt@example.org sender@example.com "$CMDSINK")
check "smtp:(command): delivered CLEAN" sis "$n" 'hdr("X-Vigil-Status")' CLEAN "$CMDSINK"
[ -n "$n" ] && check "smtp:(command): byte for byte apart from X-Vigil-*" \
	same_msg "$(seml "${n%% *}" "$CMDSINK")" "$T/clean.eml"
sw --from sender@example.com --to rcpt@example.org --data "$T/att.eml"
check "smtp:(command): eicar attached accepted" [ $rc -eq 0 ]
settle "$CMDSINK"
check "smtp:(command): eicar attached delivered CURED" \
	[ -n "$(new "j['mail_from'] == 'sender@example.com' and hdr('X-Vigil-Status') == 'CURED'" "$CMDSINK")" ]
check "smtp:(command): admin notification" [ -n "$(notif admin admin@example.org "$CMDSINK")" ]
[ "$failures" -eq 0 ] || { diag; sshow "$CMDSINK"; }
smtpd_stop

# qmail-queue replacement (-q), ForwardMailer=qmail:(PATH) ----------------------
QQ=$T/qq
mkdir -p "$QQ"
cat > "$T/qmail-queue.orig" <<EOF
#!/bin/sh
# the fake original qmail-queue: message from fd 0, envelope from fd 1
d=\$(mktemp -d "$QQ/q.XXXXXX") || exit 81
cat > "\$d/msg" || exit 54
cat <&1 > "\$d/env" || exit 54
exit 0
EOF
chmod 755 "$T/qmail-queue.orig"
FWD="qmail:($T/qmail-queue.orig)" CONF=$T/qmail.conf smtpd_conf
# qmail-smtpd hands qmail-queue messages with LF line ends
tr -d '\r' < "$T/clean.eml" > "$T/clean.lf.eml"
tr -d '\r' < "$T/att.eml" > "$T/att.lf.eml"
# qrun MSG ENV - vigil-smtpd -q with MSG on fd 0 and ENV readable on fd 1
qrun() { timeout 60 "$SMTPD" -c "$T/qmail.conf" -q < "$1" 1< "$2" 2> "$T/qmail.err"; }
printf 'Fsender@example.com\0Trcpt@example.org\0Tother@example.org\0\0' > "$T/env"
qrun "$T/clean.lf.eml" "$T/env"; rc=$?
check "qmail: clean: exit 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/    | /' "$T/qmail.err" | tail -5
d=$(grep -l 'Subject: clean one' "$QQ"/q.*/msg 2> /dev/null | head -1)
check "qmail: the original qmail-queue ran with the message" [ -n "$d" ]
if [ -n "$d" ]; then
	d=${d%/msg}
	check "qmail: envelope passed on as it came" cmp -s "$d/env" "$T/env"
	check "qmail: X-Vigil-Status: CLEAN" grep -q '^X-Vigil-Status: CLEAN' "$d/msg"
	strip_x "$d/msg" > "$d/msg.stripped"
	check "qmail: the message byte for byte apart from X-Vigil-* (LF line ends)" \
		cmp -s "$d/msg.stripped" "$T/clean.lf.eml"
fi
rm -rf "$QQ"/q.*
printf 'Fsender@example.com\0Trcpt@example.org\0\0' > "$T/env1"
qrun "$T/att.lf.eml" "$T/env1"; rc=$?
check "qmail: eicar attached: exit 0" [ $rc -eq 0 ]
d=$(grep -l '^X-Vigil-Status: CURED' "$QQ"/q.*/msg 2> /dev/null | head -1)
check "qmail: eicar attached: delivered CURED" [ -n "$d" ]
[ -n "$d" ] && check "qmail: eicar attached: the recipient's envelope" \
	cmp -s "${d%/msg}/env" "$T/env1"
check "qmail: no EICAR handed on" eval '! grep -rqa EICAR-STANDARD "$QQ"'
check "qmail: the admin notification" grep -rqa 'X-Vigil-Notification: admin' "$QQ"
f=$(grep -rla 'X-Vigil-Notification: admin' "$QQ" | head -1)
[ -n "$f" ] && check "qmail: the admin notification's envelope: F (null) T admin" \
	cmp -s "${f%/msg}/env" <(printf 'F\0Tadmin@example.org\0\0')
vigild_stop
qrun "$T/clean.lf.eml" "$T/env"; rc=$?
check "qmail: vigild down: a temporary failure (exit $rc: not 0, not 11..40)" \
	eval '[ $rc -ne 0 ] && { [ $rc -lt 11 ] || [ $rc -gt 40 ]; }'

[ "$failures" -eq 0 ] || diag
finish
