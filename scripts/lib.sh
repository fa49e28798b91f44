# Shared by scripts/demo and scripts/test: install what is missing, then configure and build.
# Sourced, not run. Works on a fresh Debian 12 machine; needs root or sudo only to install.

ROLLRIG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROLLRIG_BUILD="${ROLLRIG_BUILD:-$ROLLRIG_ROOT/build}"

# Every Debian package the build and the tests need. Keep in step with README.md.
ROLLRIG_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libserialport-dev libcli11-dev nlohmann-json3-dev libeigen3-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  gcc-avr binutils-avr avr-libc arduino-core-avr avrdude
  simavr libsimavr-dev libelf-dev python3-pandas
  libglfw3-dev libimgui-dev libstb-dev libgl-dev fonts-dejavu-core
  xvfb xauth libgl1-mesa-dri x11-xserver-utils
  help2man desktop-file-utils appstream dpkg-dev
  portaudio19-dev libespeak-ng-dev
)

rollrig_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs ROLLRIG_PACKAGES plus any packages named as arguments (scripts with needs of their
# own, such as the sanitizer and fuzzing builds, pass theirs).
rollrig_install_packages() {
  local missing=() pkg
  for pkg in "${ROLLRIG_PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "rollrig: these Debian packages are missing: ${missing[*]}" >&2
      echo "rollrig: installing them needs root or sudo, and this shell has neither." >&2
      echo "rollrig: as root, run: apt-get update && apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  rollrig_log "installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

rollrig_build() {
  rollrig_log "configuring and building in $ROLLRIG_BUILD"
  cmake -S "$ROLLRIG_ROOT" -B "$ROLLRIG_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$ROLLRIG_BUILD" -j "$(nproc)"
}
