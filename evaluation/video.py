"""MP4 (H.264) writing for evaluation videos, via the optional ``video`` extra.

imageio-ffmpeg (which bundles an ffmpeg binary) is imported only when a video
is asked for, so the core install stays pybullet + gymnasium + numpy. Pillow,
when present (imageio depends on it), draws a small caption on each frame;
without it frames are written plain.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

INSTALL_HINT = "pip install 'robodojo[video]'"
#: Frames per second we aim for; the stride in control steps is derived from it.
TARGET_FPS = 25.0


class MissingExtraError(RuntimeError):
    """An optional dependency group is not installed."""


def require_video_extra() -> ModuleType:
    """Import imageio_ffmpeg or raise a one-line error saying how to install it."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise MissingExtraError(
            f"--video needs imageio-ffmpeg, which is not installed: {INSTALL_HINT}"
        ) from None
    return imageio_ffmpeg


def frame_stride(control_dt: float, target_fps: float = TARGET_FPS) -> int:
    """Control steps per video frame: 2 at 50 Hz control gives 25 fps."""
    return max(1, int(round(1.0 / (target_fps * control_dt))))


class VideoWriter:
    """Streams RGB frames into an H.264 MP4; use as a context manager.

    The size is fixed by the first frame (cropped to even dimensions, which
    yuv420p needs). ``frames`` counts what was written, so callers can report it.
    """

    def __init__(self, path: str, fps: float) -> None:
        self._ffmpeg = require_video_extra()
        self.path = path
        self.fps = fps
        self.frames = 0
        self._writer: Any = None
        self._draw = _caption_drawer()

    def add(
        self,
        frame: np.ndarray,
        caption: str = "",
        badge: tuple[str, tuple[int, int, int]] | None = None,
    ) -> None:
        """Append one frame, with ``caption`` top-left and an optional coloured ``badge``
        top-right."""
        frame = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)  # drop alpha if present
        height, width = frame.shape[0] // 2 * 2, frame.shape[1] // 2 * 2
        frame = np.ascontiguousarray(frame[:height, :width])
        if self._draw is not None and (caption or badge):
            frame = self._draw(frame, caption, badge)
        if self._writer is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._writer = self._ffmpeg.write_frames(
                self.path,
                (width, height),
                fps=self.fps,
                codec="libx264",
                quality=7,
                macro_block_size=2,  # never rescale; even sizes are all H.264/yuv420p needs
                ffmpeg_log_level="error",
            )
            self._writer.send(None)  # start the generator (launches ffmpeg)
        self._writer.send(frame)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _caption_drawer():
    """A function drawing text onto frames with Pillow, or None without Pillow."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        return None
    try:
        font = ImageFont.load_default(size=15)  # scalable font: Pillow >= 10.1 with FreeType
    except TypeError:
        font = ImageFont.load_default()

    def draw(
        frame: np.ndarray, caption: str, badge: tuple[str, tuple[int, int, int]] | None
    ) -> np.ndarray:
        image = Image.fromarray(frame)
        pen = ImageDraw.Draw(image)
        if caption:
            pen.text(
                (8, 6),
                caption,
                fill=(255, 255, 255),
                font=font,
                stroke_width=2,
                stroke_fill=(0, 0, 0),
            )
        if badge:
            text, colour = badge
            left, _top, right, bottom = pen.textbbox((0, 0), text, font=font)
            x = image.width - (right - left) - 14
            pen.rectangle((x - 6, 4, image.width - 8, 10 + bottom), fill=colour)
            pen.text((x, 6), text, fill=(255, 255, 255), font=font)
        return np.asarray(image)

    return draw
