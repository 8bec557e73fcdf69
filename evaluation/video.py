"""MP4 (H.264) writing for evaluation videos, via the optional ``video`` extra.

imageio-ffmpeg (which bundles an ffmpeg binary) is imported only when a video
is asked for, so the core install stays pybullet + gymnasium + numpy. Pillow,
when present (imageio depends on it), draws a small caption on each frame;
without it frames are written plain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

INSTALL_HINT = "pip install 'robodojo[video]'"
#: Playback frames per second we aim for; the real-time stride in control steps is derived from it.
TARGET_FPS = 25.0
#: Frames rendered per simulated second, at most. PyBullet's CPU renderer takes 20-110 ms a frame,
#: 20-60 times a control step, so filming every real-time frame made evaluation up to ~45 times
#: slower; at this rate filming costs a few times the physics instead (benchmarks/bench_video.py).
#: A video sampled more sparsely than its playback rate is a time-lapse, and says so ("x10").
FRAME_BUDGET_PER_SIM_SECOND = 2.5
#: (width, height) of filmed frames: TinyRenderer's time grows with the pixels it fills, and at
#: 320 × 240 a frame costs about 60 % of one at the envs' default 480 × 360.
VIDEO_SIZE = (320, 240)


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


@dataclass(frozen=True)
class FrameSchedule:
    """When to film and how fast to play: a frame every ``stride`` control steps, played at
    ``fps``, which is ``speedup`` times real time."""

    stride: int
    fps: float
    speedup: int

    @property
    def label(self) -> str:
        """What the caption says about time: "" in real time, "x10" for a 10-times time-lapse."""
        return f"x{self.speedup}" if self.speedup > 1 else ""


def frame_stride(control_dt: float, target_fps: float = TARGET_FPS) -> int:
    """Control steps per real-time video frame: 2 at 50 Hz control gives 25 fps."""
    return max(1, int(round(1.0 / (target_fps * control_dt))))


def frame_schedule(
    control_dt: float,
    budget: float = FRAME_BUDGET_PER_SIM_SECOND,
    target_fps: float = TARGET_FPS,
) -> FrameSchedule:
    """The real-time stride, lengthened by a whole factor until at most ``budget`` frames are
    rendered per simulated second; playback stays at the real-time rate, so the factor is the
    time-lapse speed-up. ``budget=math.inf`` films in real time."""
    realtime = frame_stride(control_dt, target_fps)
    fps = 1.0 / (realtime * control_dt)
    speedup = max(1, math.ceil(fps / budget - 1e-9))  # 1e-9: 25 / 2.5 is 10, not 11
    return FrameSchedule(realtime * speedup, fps, speedup)


class VideoWriter:
    """Streams RGB frames into an H.264 MP4; use as a context manager.

    The size is fixed by the first frame (cropped to even dimensions, which
    yuv420p needs). ``frames`` counts what was written, so callers can report it.
    """

    #: x264's "veryfast" preset: the default ("medium") spends CPU that filming shares with the
    #: physics on a small machine, and its flush at close took ~0.2 s, a lot next to a short
    #: evaluation; the file is about the same size at this quality.
    PRESET = "veryfast"

    def __init__(self, path: str, fps: float) -> None:
        self._ffmpeg = require_video_extra()
        self.path = path
        self.fps = fps
        self.frames = 0
        self._writer: Any = None
        self._last: np.ndarray | None = None
        self._draw = _caption_drawer()

    def add(
        self,
        frame: np.ndarray,
        caption: str = "",
        badge: tuple[str, tuple[int, int, int]] | None = None,
    ) -> None:
        """Append one frame, with ``caption`` (lines split by newlines) top-left and an optional
        coloured ``badge`` bottom-right."""
        height, width = frame.shape[0] // 2 * 2, frame.shape[1] // 2 * 2
        # One copy: drop alpha if present, crop to even sizes, make it contiguous for the pipe.
        frame = np.ascontiguousarray(frame[:height, :width, :3], dtype=np.uint8)
        if self._draw is not None and (caption or badge):
            frame = self._draw(frame, caption, badge)
        self._send(frame)

    def repeat(self, count: int) -> None:
        """Write the last frame ``count`` more times (holding it costs no drawing)."""
        if self._last is None:
            raise ValueError("no frame to repeat yet")
        for _ in range(count):
            self._send(self._last)

    def _send(self, frame: np.ndarray) -> None:
        height, width = frame.shape[:2]
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
                output_params=["-preset", self.PRESET],
            )
            self._writer.send(None)  # start the generator (launches ffmpeg)
        self._writer.send(frame)
        self._last = frame
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
    fonts: dict[int, Any] = {}

    def font_for(width: int) -> Any:
        # 15 px text on a 480 px wide frame, scaled with the frame, so a caption fits a small one
        size = max(9, round(15 * width / 480))
        if size not in fonts:
            try:
                fonts[size] = ImageFont.load_default(size=size)  # scalable: Pillow >= 10.1
            except TypeError:
                fonts[size] = ImageFont.load_default()
        return fonts[size]

    def draw(
        frame: np.ndarray, caption: str, badge: tuple[str, tuple[int, int, int]] | None
    ) -> np.ndarray:
        image = Image.fromarray(frame)
        pen = ImageDraw.Draw(image)
        font = font_for(image.width)
        if caption:
            pen.text(
                (8, 6),
                caption,
                fill=(255, 255, 255),
                font=font,
                stroke_width=2,
                stroke_fill=(0, 0, 0),
            )
        if badge:  # bottom-right, clear of the caption however long it is
            text, colour = badge
            left, top, right, bottom = pen.textbbox((0, 0), text, font=font)
            x, y = image.width - (right - left) - 14, image.height - (bottom - top) - 14
            pen.rectangle((x - 6, y - 4, image.width - 8, image.height - 6), fill=colour)
            pen.text((x, y - top), text, fill=(255, 255, 255), font=font)
        return np.asarray(image)

    return draw
