#!/usr/bin/env bash
# What `make install` gives a board, checked in a staging directory: the tree, a binary that runs
# with no Swift toolchain, unit files systemd accepts with a low exposure, the user and the
# directories, a board file kept across reinstalls, and an uninstall that keeps configuration.
set -uo pipefail
cd "$(dirname "$0")/../.."

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local description=$1
    shift
    if "$@" >"$staging/.out" 2>&1; then
        passed=$((passed + 1))
        echo "ok      $description"
    else
        failed=$((failed + 1))
        echo "FAILED  $description"
        sed 's/^/        /' "$staging/.out" | head -20
    fi
}

root="$staging/root"
if ! make --no-print-directory install DESTDIR="$root" >"$staging/install.log" 2>&1; then
    cat "$staging/install.log"
    echo "install checks: 0 passed, 1 failed"
    exit 1
fi
prefix="$root/usr/local"

for file in bin/evsed lib/systemd/system/evsed.service lib/sysusers.d/evsed.conf lib/tmpfiles.d/evsed.conf \
    share/evsed/boards/sim.toml share/evsed/boards/README.md share/doc/evsed/README.md; do
    check "installed $file" test -s "$prefix/$file"
done
check "installed the udev rules" test -s "$root/etc/udev/rules.d/90-evsed.rules"
check "installed the default board file" cmp boards/sim.toml "$root/etc/evsed/board.toml"
check "installed every scenario" test "$(ls "$prefix/share/evsed/boards/scenarios" | wc -l)" -eq "$(ls boards/scenarios | wc -l)"

# The binary carries the Swift runtime: it runs with an empty environment and no libswift*.so.
check "evsed --version runs with no Swift library path" \
    bash -c "env -i '$prefix/bin/evsed' --version | grep -q '^evsed '"
check "the binary links no Swift shared library" bash -c "! ldd '$prefix/bin/evsed' | grep -i swift"
check "the installed binary runs a scenario from the installed files" \
    env -i "$prefix/bin/evsed" simulate --board "$root/etc/evsed/board.toml" \
    --scenario "$prefix/share/evsed/boards/scenarios/residual-current.toml" --check --readings 0

# systemd accepts the unit (pointed at the staged binary, which verify checks is executable).
sed "s|^ExecStart=/usr/local/bin/evsed|ExecStart=$prefix/bin/evsed|" "$prefix/lib/systemd/system/evsed.service" \
    >"$staging/evsed.service"
check "systemd-analyze verify accepts evsed.service" \
    bash -c "out=\$(systemd-analyze verify --man=no '$staging/evsed.service' 2>&1); echo \"\$out\"; test -z \"\$out\""
exposure=$(systemd-analyze security --offline=true "$prefix/lib/systemd/system/evsed.service" 2>/dev/null \
    | sed -n 's/.*Overall exposure level for evsed.service: \([0-9.]*\).*/\1/p')
echo "        exposure: ${exposure:-unknown}"
check "security exposure ${exposure:-?} is at most 2.0" awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'

# sysusers creates the user and group; tmpfiles the directories, owned by them.
mkdir -p "$root/etc"
touch "$root/etc/passwd" "$root/etc/group" "$root/etc/shadow" "$root/etc/gshadow"
echo "dialout:x:20:" >>"$root/etc/group"
check "systemd-sysusers creates the evsed user" \
    bash -c "systemd-sysusers --root='$root' '$prefix/lib/sysusers.d/evsed.conf' && grep -q '^evsed:' '$root/etc/passwd' && grep -q '^dialout:.*evsed' '$root/etc/group'"
check "systemd-tmpfiles creates the state directory for evsed" \
    bash -c "systemd-tmpfiles --root='$root' --create '$prefix/lib/tmpfiles.d/evsed.conf' && test -d '$root/var/lib/evsed' && test \"\$(stat -c %a '$root/var/lib/evsed')\" = 750"

# A reinstall keeps the board file the installer edited; uninstall keeps it too.
echo "# edited by the installer" >>"$root/etc/evsed/board.toml"
make --no-print-directory install DESTDIR="$root" >"$staging/install2.log" 2>&1
check "a reinstall keeps the board file" grep -q "edited by the installer" "$root/etc/evsed/board.toml"
make --no-print-directory uninstall DESTDIR="$root" >"$staging/uninstall.log" 2>&1
check "uninstall removes the binary and the unit" \
    bash -c "test ! -e '$prefix/bin/evsed' && test ! -e '$prefix/lib/systemd/system/evsed.service' && test ! -e '$prefix/share/evsed'"
check "uninstall keeps the board file" test -e "$root/etc/evsed/board.toml"

echo "install checks: $passed passed, $failed failed"
test "$failed" -eq 0
