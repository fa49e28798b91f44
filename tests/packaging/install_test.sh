#!/usr/bin/env bash
# The Debian package, installed into a fresh root of its own (dpkg-deb -x: the files exactly as
# dpkg would unpack them, without touching this machine): the files land where the desktop, udev,
# man and bash-completion look; the installed rollrig runs and finds its bundled firmware; the
# desktop entry and the AppStream metainfo validate; the bash completion completes.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build="$1"
work=$(mktemp -d "${TMPDIR:-/tmp}/rollrig-package-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >/dev/null) || fail "cpack could not build the .deb"
deb=$(ls "$work"/out/rollrig_*.deb)
root="$work/root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -I "$deb" control | grep -q '^Depends:.*libserialport0' \
  || fail "the package does not depend on the libserialport it links"
dpkg-deb -I "$deb" control | grep -q '^Depends:.*fonts-dejavu-core' \
  || fail "the package does not depend on the window's font"

for f in usr/bin/rollrig usr/bin/rollrig-gui \
         usr/share/rollrig/firmware/rollrig.hex \
         usr/lib/udev/rules.d/70-rollrig.rules \
         usr/share/applications/io.github.rollrig.rollrig.desktop \
         usr/share/icons/hicolor/scalable/apps/rollrig.svg \
         usr/share/metainfo/io.github.rollrig.rollrig.metainfo.xml \
         usr/share/man/man1/rollrig.1.gz usr/share/man/man1/rollrig-gui.1.gz \
         usr/share/bash-completion/completions/rollrig \
         usr/share/bash-completion/completions/rollrig-gui \
         usr/share/doc/rollrig/README.md usr/share/doc/rollrig/docs/RELIABILITY.md; do
  [ -e "$root/$f" ] || fail "$f is not in the package"
done
[ ! -e "$root/usr/bin/rollrig-twin" ] || fail "rollrig-twin (GPL-3.0 simavr) is in the package"
grep -q 'TAG+="uaccess"' "$root/usr/lib/udev/rules.d/70-rollrig.rules" || fail "udev rule content"

# The installed programs run from where they were installed.
"$root/usr/bin/rollrig" --version | grep -q '^rollrig ' || fail "rollrig --version"
"$root/usr/bin/rollrig-gui" --help >/dev/null || fail "rollrig-gui --help"
set +e
doctor=$("$root/usr/bin/rollrig" doctor --json --no-probe --db "$work/sessions.db")
code=$?
set -e
[ "$code" -le 1 ] || fail "rollrig doctor exited $code: $doctor"
echo "$doctor" | grep -q '"checks"' || fail "rollrig doctor printed no checks: $doctor"
if echo "$doctor" | grep -q 'rollrig.hex) is not installed'; then
  fail "the installed rollrig does not find its bundled firmware: $doctor"
fi
zcat "$root/usr/share/man/man1/rollrig.1.gz" | grep -q 'rollrig flash' || fail "man page content"

# What desktops and software centres read.
desktop-file-validate "$root/usr/share/applications/io.github.rollrig.rollrig.desktop" \
  || fail "desktop-file-validate"
appstreamcli validate --no-net --explain \
  "$root/usr/share/metainfo/io.github.rollrig.rollrig.metainfo.xml" || fail "appstreamcli validate"

# Bash completion, from the installed programs' own --help.
complete_words() {  # complete_words WORD... : what the completion offers for the last word
  PATH="$root/usr/bin:$PATH" bash -c '
    source "$0"
    COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _rollrig; printf "%s\n" "${COMPREPLY[@]}"' \
    "$root/usr/share/bash-completion/completions/rollrig" "$@"
}
complete_words rollrig fl | grep -qx flash || fail "completion: rollrig fl -> flash"
complete_words rollrig doc | grep -qx doctor || fail "completion: rollrig doc -> doctor"
complete_words rollrig flash --bo | grep -qx -- --board || fail "completion: flash --bo -> --board"
complete_words rollrig flash --board n | grep -qx nano-old || fail "completion: --board n"
complete_words rollrig-gui --vi | grep -qx -- --view || fail "completion: rollrig-gui --vi"
echo "package ok: $(basename "$deb") ($(du -k "$deb" | cut -f1) kB)"
