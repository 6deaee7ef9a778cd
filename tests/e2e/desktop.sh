#!/usr/bin/env bash
# Desktop end-to-end: the real Tauri window under Xvfb, driven through
# WebDriver (tauri-driver in front of Debian's WebKitWebDriver).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# A display number nobody uses.
display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
export DISPLAY=":$display"
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done

# Push-to-talk in the window uses whisper tiny.en from the test material.
export JARVIS_WHISPER_MODEL="${JARVIS_WHISPER_MODEL:-$(cd "$here/../../.." && pwd)/shared/models/ggml-tiny.en.bin}"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
native_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
tauri-driver --port "$port" --native-port "$native_port" >"${JARVIS_E2E_OUT:-/tmp}/tauri-driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done

export WEBDRIVER_URL="http://127.0.0.1:$port"
node --test --test-concurrency=1 "$here/desktop.test.mjs"
