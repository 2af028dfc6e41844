"""Real media for upload tests: videos made by ffmpeg (Debian's, installed by
scripts/services.sh `ensure_ffmpeg`), since uploads are now parsed, not only sniffed."""

import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

FFMPEG = shutil.which("ffmpeg")


CODECS = {"webm": "libvpx"}  # WebM holds VP8/VP9 only; every other container here MPEG-4 Part 2


@cache
def video(container: str = "mp4", seconds: int = 1, side: int = 64, noisy: bool = False) -> bytes:
    """A test pattern in MPEG-4 Part 2 (every ffmpeg build encodes it), VP8 in WebM.
    `noisy` adds noise to every frame and encodes at the best quality, for files that must be
    large (about 10 MB a second at side 960)."""
    if FFMPEG is None:  # pragma: no cover - scripts/services.sh installs it
        raise RuntimeError("ffmpeg is missing: run scripts/services.sh's ensure_ffmpeg")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"clip.{container}"
        subprocess.run(
            [
                FFMPEG, "-v", "error", "-y", "-f", "lavfi",
                "-i", f"testsrc=duration={seconds}:size={side}x{side}:rate=10",
                "-c:v", CODECS.get(container, "mpeg4"), "-pix_fmt", "yuv420p",
                *(["-vf", "noise=alls=100:allf=t+u", "-q:v", "1"] if noisy else []), str(out),
            ],
            capture_output=True, check=True,
        )  # fmt: skip
        return out.read_bytes()
