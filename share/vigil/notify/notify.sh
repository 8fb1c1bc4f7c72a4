#!/bin/sh
# notify.sh - example [icapserver.notify] NotifyScript for vigil-icapd
#
# Called for each detection, without a shell in between, as
#	notify.sh STATUS URL
# with the details in the environment: VIGIL_URL VIGIL_THREAT
# VIGIL_STATUS VIGIL_CLIENT VIGIL_GROUP VIGIL_ACTION VIGIL_SERVICE
# VIGIL_TIME (control characters already replaced by '?').  PATH is
# /usr/sbin:/usr/bin:/sbin:/bin; stdin and stdout are /dev/null.  The
# script is killed after NotifyTimeout seconds, and at most 16 run at
# once, so keep it short.
#
# It logs one line with logger(1) and, when MAILTO is set (for example
# by a wrapper: exec env MAILTO=root /path/notify.sh "$@"), mails the
# same details with sendmail -t when sendmail is installed.  Every value
# comes from the network: quote it, never eval it.

status=${1:-$VIGIL_STATUS}
url=${2:-$VIGIL_URL}
line="status=$status url=$url threat=${VIGIL_THREAT:-none} client=${VIGIL_CLIENT:-unknown} group=${VIGIL_GROUP:-default} action=${VIGIL_ACTION:-} service=${VIGIL_SERVICE:-}"

logger -t vigil-icapd-notify -p mail.notice -- "$line" 2>/dev/null || :

if [ -n "${MAILTO:-}" ] && command -v sendmail >/dev/null 2>&1; then
	# a header value must not carry a line break: they were replaced
	sendmail -t <<MAIL || :
To: $MAILTO
Subject: vigil-icapd: $status object blocked
Content-Type: text/plain; charset=utf-8

vigil-icapd reports an object with status $status.

URL:     $url
Threat:  ${VIGIL_THREAT:-}
Client:  ${VIGIL_CLIENT:-}
Group:   ${VIGIL_GROUP:-}
Action:  ${VIGIL_ACTION:-}
Service: ${VIGIL_SERVICE:-}
Time:    ${VIGIL_TIME:-}
MAIL
fi
exit 0
