# lib.sh - shared by the benchmarks' run.sh scripts (sourced)

# stop PID - SIGTERM, SIGKILL after 10 s; reaps the process
stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2> /dev/null
	for _ in $(seq 100); do
		kill -0 "$1" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}
