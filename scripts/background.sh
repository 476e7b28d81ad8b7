#!/usr/bin/env bash
# Run one check in the background while make goes on with the others, and collect it later.
# make check builds the series this way: a guest under single-threaded TCG keeps one of the two
# cores busy, so the niced builds take the other one, and the guests keep theirs.
#   background.sh start DIR CMD...   start CMD at nice 19, its output in DIR/log
#   background.sh finish DIR CMD...  wait for the CMD started in DIR, print its output and exit
#                                    with its status; if none was started, run CMD here
# A job whose make has gone (Ctrl-C, a failed recipe) stops itself within 5 s.
set -uo pipefail
op=$1 dir=$2
shift 2

case $op in
start)
	# a job of an earlier make that is still running: stop it (its process group)
	[ -f "$dir/pid" ] && kill -- -"$(cat "$dir/pid")" 2>/dev/null
	rm -rf "$dir" && mkdir -p "$dir" || exit
	# the make that runs this recipe: the nearest make above us (the recipe shell may be gone)
	owner=$PPID
	while [ "$owner" -gt 1 ] && [ "$(ps -o comm= -p "$owner")" != make ]; do
		owner=$(ps -o ppid= -p "$owner" | tr -d ' ')
	done
	[ "$owner" -gt 1 ] || owner=$PPID
	setsid bash -c '
		dir=$1 owner=$2; shift 2
		# a new session is a new autogroup, which nice alone would not reach
		echo 19 >/proc/self/autogroup 2>/dev/null
		nice -n 19 "$@" >"$dir/log" 2>&1 </dev/null &
		job=$!
		while kill -0 $job 2>/dev/null; do
			kill -0 "$owner" 2>/dev/null || { echo "make has gone: stopped" >>"$dir/log"; kill -- -$$; }
			sleep 5
		done
		wait $job
		echo $? >"$dir/rc"
	' background "$dir" "$owner" "$@" </dev/null >/dev/null 2>&1 &
	echo $! >"$dir/pid"
	echo "== ${1##*/} started in the background, niced (output: ${dir#"$PWD"/}/log)"
	;;
finish)
	[ -d "$dir" ] || exec "$@"
	echo "== waiting for the background job of ${dir#"$PWD"/}"
	while [ ! -f "$dir/rc" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; do
		sleep 2
	done
	cat "$dir/log"
	rc=$(cat "$dir/rc" 2>/dev/null || echo "none: the job died")
	rm -rf "$dir"
	[ "$rc" = 0 ] || { echo "background job failed with status $rc: $*" >&2; exit 1; }
	;;
*)
	echo "usage: background.sh start|finish DIR CMD..." >&2
	exit 2
	;;
esac
