#!/bin/bash
# The kernel stage of `make test`: evsed's GPIO and I2C drivers against a real Linux kernel.
#
# Boots Debian's own kernel (the linux-image package of the installed linux-headers-amd64) in QEMU
# with a static busybox as its first userland, both fetched with apt-get download and unpacked
# here (never installed); gpio-sim is built as an out-of-tree module from Debian's linux-source,
# i2c-stub is the kernel's own. The guest mounts this machine's root read-only over 9p and runs
# the test binary's kernel suites (EVSED_GUEST_FILTER, a --filter pattern, default "Kernel")
# against the simulated chips.
# `run.sh bench ARGUMENTS…` runs the release loop-bench (built by `make bench`) there instead.
# Everything it makes stays in .build/guest; a second run reuses it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
guest=$root/.build/guest
filter=${EVSED_GUEST_FILTER:-Kernel}
say() { echo "guest stage: $*"; }
bench=""
if [ "${1:-}" = bench ]; then
    shift
    bench=$(IFS=,; echo "$*")
    [ -x "$root/.build/release/loop-bench" ] || { say "no .build/release/loop-bench (make bench builds it)"; exit 1; }
fi
# The guest learns where the repository is on its kernel's command line.
case "$root$filter$bench" in *[[:space:]]*) say "the repository's path and the filter cannot hold spaces: $root"; exit 1 ;; esac

if [ "$(uname -m)" != x86_64 ]; then
    say "skipped: it boots an amd64 kernel to run this machine's x86_64 test binary; this machine is $(uname -m)"
    exit 0
fi
if ! qemu-system-x86_64 -version >/dev/null 2>&1; then
    say "skipped: qemu-system-x86_64 cannot run here (Debian package qemu-system-x86)"
    exit 0
fi

# The kernel: the version linux-headers-amd64 stands for, so the module builds against it.
version=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 | sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p')
[ -n "$version" ] || { say "linux-headers-amd64 names no kernel version"; exit 1; }
headers=/usr/src/linux-headers-$version
mkdir -p "$guest"
# Unpacks Debian package $1 into $2 (without installing it).
unpack() {
    rm -rf "$2" "$guest/debs" && mkdir -p "$guest/debs"
    (cd "$guest/debs" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$1" >/dev/null)
    dpkg-deb -x "$guest"/debs/"$1"_*.deb "$2"
    rm -rf "$guest/debs"
}
if [ ! -e "$guest/kernel/boot/vmlinuz-$version" ]; then
    say "fetching linux-image-$version"
    unpack "linux-image-$version" "$guest/kernel"
    depmod -b "$guest/kernel" "$version"
fi
if [ ! -x "$guest/busybox/bin/busybox" ]; then
    unpack busybox-static "$guest/busybox"
fi
modules=$guest/kernel/lib/modules/$version

# gpio-sim, which Debian's kernel leaves out, with the interrupt simulator it needs in the same
# module: nothing in Debian's kernel selects IRQ_SIM, and irq_to_desc() is not exported, so its
# one call goes through generic_handle_irq(), which is.
module=$guest/gpio-sim
if [ ! -e "$module/gpio-sim.ko" ] || [ "$(modinfo -F vermagic "$module/gpio-sim.ko" | cut -d' ' -f1)" != "$version" ]; then
    say "building gpio-sim for $version"
    rm -rf "$module" && mkdir -p "$module"
    source_tar=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -1)
    top=$(basename "$source_tar" .tar.xz)
    tar -xJf "$source_tar" -C "$module" --strip-components=1 \
        "$top/drivers/gpio/gpio-sim.c" "$top/drivers/gpio/gpiolib.h" "$top/kernel/irq/irq_sim.c"
    mv "$module/drivers/gpio/gpio-sim.c" "$module/gpio-sim-main.c"
    mv "$module/drivers/gpio/gpiolib.h" "$module/kernel/irq/irq_sim.c" "$module/"
    sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$module/irq_sim.c"
    grep -q 'generic_handle_irq(irqnum);' "$module/irq_sim.c" || { say "irq_sim.c no longer calls irq_to_desc as expected"; exit 1; }
    printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' > "$module/Kbuild"
    make -s -C "$headers" M="$module" modules 2>&1 | grep -v 'Skipping BTF generation' || true
    [ -e "$module/gpio-sim.ko" ] || { say "gpio-sim did not build"; exit 1; }
fi

# The initramfs: a static busybox and the modules that mount the host's root over virtio-9p.
initramfs=$guest/initramfs
rm -rf "$initramfs" && mkdir -p "$initramfs"/{bin,proc,sys,dev,modules}
cp "$guest/busybox/bin/busybox" "$initramfs/bin/busybox"
cp "$root/Tests/guest/init" "$initramfs/init"
order=()
need() {
    local path
    path=$(grep "/$1.ko:" "$modules/modules.dep" | cut -d: -f1)
    [ -n "$path" ] || { say "no module $1 in $version"; exit 1; }
    for dependency in $(grep "^$path:" "$modules/modules.dep" | cut -d: -f2); do
        need "$(basename "$dependency" .ko)"
    done
    case " ${order[*]} " in *" $1.ko "*) ;; *) cp "$modules/$path" "$initramfs/modules/"; order+=("$1.ko") ;; esac
}
for wanted in virtio_pci 9pnet_virtio 9p; do need "$wanted"; done
echo "${order[*]}" > "$initramfs/modules/order"
(cd "$initramfs" && find . | cpio -o -H newc --quiet) > "$guest/initramfs.cpio"

if [ -n "$bench" ]; then
    say "booting Linux $version in QEMU (TCG), loop-bench ${bench//,/ }"
else
    say "booting Linux $version in QEMU (TCG), tests matching '$filter'"
fi
set +e
timeout 1200 qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
    -display none -monitor none -serial stdio -nic none -no-reboot \
    -kernel "$guest/kernel/boot/vmlinuz-$version" -initrd "$guest/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 quiet evsed.repository=$root evsed.filter=$filter evsed.bench=$bench" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    < /dev/null 2>&1 | tee "$guest/console.log"
set -e
status=$(sed -n 's/^evsed-guest: status \([0-9]*\).*/\1/p' "$guest/console.log" | tr -d '\r' | tail -1)
if [ -z "$status" ]; then
    say "the guest ended without a status (timeout or crash); its console is in $guest/console.log"
    exit 1
fi
exit "$status"
