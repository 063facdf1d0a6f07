#!/bin/sh
# Inside the guest, on the host's root (read-only) with the guest's kernel: loads the simulated
# hardware (gpio-sim, built by run.sh; i2c-stub at the ADS1115's and the LM75's addresses) and
# runs the test binary's suites that match $2 against it, or the release loop-bench with the
# comma-separated arguments $3.
repository=$1
guest=$repository/.build/guest
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/tmp
load() { modprobe -d "$guest/kernel" "$@" || { echo "evsed-guest: modprobe $* failed"; exit 125; }; }
load configfs
mount -t configfs configfs /sys/kernel/config
insmod "$guest/gpio-sim/gpio-sim.ko" || { echo "evsed-guest: gpio-sim.ko did not load"; exit 125; }
load i2c-dev
load i2c-stub chip_addr=0x48,0x49
cd "$repository" || exit 125
echo "evsed-guest: Linux $(uname -r), $(nproc) CPU(s); gpio-sim and i2c-stub loaded"
if [ -n "$3" ]; then
    "$repository/.build/release/loop-bench" $(echo "$3" | tr , ' ')
else
    "$repository/.build/debug/evsedPackageTests.xctest" --testing-library swift-testing --filter "$2"
fi
status=$?
# A program killed by an instruction the emulated CPU lacks says so only in the kernel's log.
dmesg | grep -i "invalid opcode\|traps:" | tail -5
exit $status
