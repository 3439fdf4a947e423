#!/usr/bin/env bash
# Stops the stand-ins that infra/stack/up.sh started in COBALT_STACK_DIR
# (default <repo>/.stack), and nothing else.
#
# It signals exactly the PIDs listed in the pids file, and only while each PID
# still has the start time recorded there, so a PID that the system has since
# given to another process is left alone. Each process gets SIGTERM, then
# SIGKILL when it is still running after COBALT_STACK_STOP_TIMEOUT seconds
# (default 10). Afterwards the pids and env files are removed; logs stay.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
stack_dir=${COBALT_STACK_DIR:-$repo_root/.stack}
stop_timeout=${COBALT_STACK_STOP_TIMEOUT:-10}
pid_file=$stack_dir/pids

log() { printf 'down.sh: %s\n' "$*" >&2; }

# Prints field 22 of /proc/PID/stat (start time in clock ticks since boot), or
# fails when the process is gone or a zombie.
proc_start_time() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	[[ $1 != Z ]] || return 1
	printf '%s\n' "${20}"
}

# Succeeds while PID runs with the recorded start time.
is_ours() {
	[[ $(proc_start_time "$1" || true) == "$2" ]]
}

if [[ ! -f $pid_file ]]; then
	log "no $pid_file; nothing to stop"
	exit 0
fi

pids=()
starts=()
names=()
while read -r pid name start; do
	[[ $pid =~ ^[0-9]+$ ]] || continue
	if is_ours "$pid" "$start"; then
		pids+=("$pid")
		starts+=("$start")
		names+=("$name")
	fi
done <"$pid_file"

for i in "${!pids[@]}"; do
	log "stopping ${names[i]} (PID ${pids[i]})"
	kill -TERM "${pids[i]}" 2>/dev/null || true
done

# Waits until none of the listed processes runs, or the deadline passes.
wait_gone() {
	local deadline=$((SECONDS + $1)) i alive
	while :; do
		alive=0
		for i in "${!pids[@]}"; do
			is_ours "${pids[i]}" "${starts[i]}" && alive=1
		done
		((alive == 1)) || return 0
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}

status=0
if ! wait_gone "$stop_timeout"; then
	for i in "${!pids[@]}"; do
		if is_ours "${pids[i]}" "${starts[i]}"; then
			log "${names[i]} (PID ${pids[i]}) still running after ${stop_timeout}s; sending SIGKILL"
			kill -KILL "${pids[i]}" 2>/dev/null || true
		fi
	done
	if ! wait_gone 5; then
		log "error: stand-ins still running after SIGKILL among PIDs ${pids[*]}. The pids file is kept, so down.sh can run again."
		status=1
	fi
fi

if ((status == 0)); then
	rm -f "$pid_file" "$stack_dir/env"
fi
exit "$status"
