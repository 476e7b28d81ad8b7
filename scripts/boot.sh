#!/usr/bin/env bash
# Boot KERNEL with INITRAMFS in QEMU under a time limit; the guest's /init runs its plan.
# Writes RUN_DIR/console.log (kernel console, ttyS0), RUN_DIR/results.log (plan output, ttyS1)
# and RUN_DIR/verdict (PASS/FAIL lines for the boot and the console scan).
# usage: boot.sh KERNEL INITRAMFS RUN_DIR
# env:   TIMEOUT seconds (default 300, 0 = none)  MEM MiB (default 2048), split over 2 NUMA nodes
#        ACCEL: QEMU -accel value (default tcg,thread=single; kvm uses -cpu host)
#        APPEND extra kernel arguments  QEMU_ARGS extra QEMU arguments (split on spaces)
#        STREAM=1 print the results port live
#        INTERACTIVE=1 console on this terminal (Ctrl-A X quits QEMU)
# exit:  0 plan passed, 1 some plan command failed, 2 crash, hang or bad console
set -euo pipefail
kernel=$1 initrd=$2 run=$3
timeout=${TIMEOUT:-300}
# Single-threaded TCG still gives the guest 2 CPUs. Multi-threaded TCG makes each uffd fault
# round trip wait for the host to schedule two vCPU threads: on a busy 2-core host that made
# uffd-unit-tests 4x slower and its "events" cases stall for minutes.
accel=${ACCEL:-tcg,thread=single}
name=$(basename "$run")
mkdir -p "$run"
rm -f "$run/console.log" "$run/results.log" "$run/verdict"

cpu=max; [ "${accel%%,*}" = kvm ] && cpu=host	# nested KVM guests hang here: tcg is the default
# panic=-1 + -no-reboot: a panic ends QEMU at once (status 0); oops=panic: after an oops
# the kernel is not trusted to finish the plan, so stop instead of risking a hang.
# Two NUMA nodes of a socket (one CPU) and half the memory each, as the ACPI SRAT a NUMA kernel
# reads: the series' providers meet mempolicies and NUMA balancing as on a two-socket host.
mem=${MEM:-2048}
qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp 2,sockets=2 -m "$mem"
	-object "memory-backend-ram,id=node0,size=$((mem / 2))M" -numa node,nodeid=0,cpus=0,memdev=node0
	-object "memory-backend-ram,id=node1,size=$((mem - mem / 2))M" -numa node,nodeid=1,cpus=1,memdev=node1
	-nodefaults -display none -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic ${APPEND:-}"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)
# shellcheck disable=SC2206 # word splitting of QEMU_ARGS is what it is for
qemu+=(${QEMU_ARGS:-})

if [ -n "${INTERACTIVE:-}" ]; then
	set +e
	timeout --foreground -k 5 "$timeout" "${qemu[@]}" -serial mon:stdio -serial "file:$run/results.log"
	rc=$?
	set -e
	case $rc in 1) exit 0 ;; 124 | 137) echo "boot: time limit of ${timeout}s reached" >&2 ;; esac
	exit 2
fi

timeout -k 5 "$timeout" "${qemu[@]}" -serial "file:$run/console.log" -serial "file:$run/results.log" </dev/null &
pid=$!
[ -z "${STREAM:-}" ] || tail -n +1 -F --pid=$pid "$run/results.log" 2>/dev/null || true
wait $pid && rc=0 || rc=$?

verdict() { echo "$1 $name: $2" | tee -a "$run/verdict"; }
case $rc in
1) verdict PASS "boot: plan ran, all commands passed" ;;
3) verdict PASS "boot: plan ran, some commands failed" ;;
0) verdict FAIL "boot: guest crashed (kernel panic or reset)" ;;
124 | 137) verdict FAIL "boot: guest hung: killed after ${timeout}s" ;;
*) verdict FAIL "boot: qemu failed with status $rc" ;;
esac
if [ "$rc" != 1 ] && [ "$rc" != 3 ]; then
	echo "---- last 40 lines of the guest console ($run/console.log)"
	tail -n 40 "$run/console.log" 2>/dev/null || true
	echo "---- last 10 lines of the results port ($run/results.log)"
	tail -n 10 "$run/results.log" 2>/dev/null || true
	echo "----"
fi

# Anything the kernel reports about itself fails the run, even if the tests passed.
pattern='BUG:|WARNING:|Oops|KASAN|possible recursive locking|Bad page|Kernel panic'
if bad=$(grep -aE "$pattern" "$run/console.log" 2>/dev/null); then
	verdict FAIL "console: $(wc -l <<<"$bad") suspicious line(s)"
	sed 's/^/  /' <<<"$bad" | head -n 20
else
	verdict PASS "console: clean"
fi

grep -q '^FAIL' "$run/verdict" && exit 2
[ "$rc" = 1 ] && exit 0
exit 1
