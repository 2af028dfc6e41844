"""Real media for upload tests: videos made by ffmpeg (Debian's, installed by
scripts/services.sh `ensure_ffmpeg`), since uploads are now parsed, not only sniffed."""

import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

FFMPEG = shutil.which("ffmpeg")


@cache
def video(container: str = "mp4", seconds: int = 1, side: int = 64) -> bytes:
    """A short test pattern in MPEG-4 Part 2 (every ffmpeg build encodes it)."""
    if FFMPEG is None:  # pragma: no cover - scripts/services.sh installs it
        raise RuntimeError("ffmpeg is missing: run scripts/services.sh's ensure_ffmpeg")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"clip.{container}"
        subprocess.run(
            [
                FFMPEG, "-v", "error", "-y", "-f", "lavfi",
                "-i", f"testsrc=duration={seconds}:size={side}x{side}:rate=10",
                "-c:v", "mpeg4", "-pix_fmt", "yuv420p", str(out),
            ],
            capture_output=True, check=True,
        )  # fmt: skip
        return out.read_bytes()
