"""Key-up to transcript through the real microphone path, per voice fixture.

Starts the release jarvisd, then for each fixture in ../shared/fixtures/voice:
POST /api/v1/voice/listen/start, "speak" the WAV into the virtual
microphone at real-time pace, POST .../stop, and read the stage timings
jarvisd measured. Run by scripts/bench-push-to-talk under scripts/lib/virtual-mic.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import wave

jarvisd, data_dir, shared = sys.argv[1], sys.argv[2], sys.argv[3]
fifo = os.environ["JARVIS_VIRTUAL_MIC_FIFO"]
token = "bench-push-to-talk"
env = dict(os.environ, JARVIS_SECRET_OWNER_TOKEN=token)
server = subprocess.Popen(
    [jarvisd, "--data-dir", data_dir, "--listen", "127.0.0.1:0", "--secrets", "env"],
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
line = server.stdout.readline()
assert line.startswith("listening on"), line
base = line.split()[-1]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "127.0.0.1"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


def speak(path):
    with wave.open(path) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        pcm = w.readframes(w.getnframes())
    with open(fifo, "wb", buffering=0) as pipe:
        started = time.perf_counter()
        for i in range(0, len(pcm), 640):
            pipe.write(pcm[i:i + 640])
            wait = started + (i // 640 + 1) * 0.02 - time.perf_counter()
            if wait > 0:
                time.sleep(wait)


try:
    model = os.path.join(shared, "models", "ggml-tiny.en.bin")
    call("PUT", "/api/v1/voice/settings", {"hotkey": "Ctrl+Alt+Space", "mode": "hold", "device": None,
                                           "model": model, "speak_replies": False})
    fixtures = [l.split("\t") for l in open(os.path.join(shared, "fixtures/voice/transcripts.tsv")).read().splitlines() if l.strip()]
    rows = []
    for fid, said in fixtures:
        call("POST", "/api/v1/voice/listen/start", {"trigger": "api"})
        speak(os.path.join(shared, "fixtures/voice", f"{fid}.wav"))
        time.sleep(0.4)  # the tail through PulseAudio and ALSA
        run = call("POST", "/api/v1/voice/listen/stop", {})
        ms = run["ms"]
        kind = (run.get("intent") or {}).get("kind", "-")
        rows.append(ms["key_up_to_text"])
        print(f"  {fid:12} key-up→text {ms['key_up_to_text']:6.0f} ms (resample {ms['resample']:4.0f}, "
              f"transcribe {ms['transcribe']:5.0f}, model load {ms['model_load']:4.0f})  {kind:10} {run['text']!r}")
    print(f"key-up to transcript, {len(rows)} fixtures: median {statistics.median(rows):.0f} ms, "
          f"min {min(rows):.0f} ms, max {max(rows):.0f} ms")
finally:
    server.terminate()
    server.wait()
