"""Demo appearance images: a blue handwriting-like signature and a red round seal.

Used by the embedded demo and by the tests; real deployments configure scans of the real
signature and seal instead.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

_BLUE = (20, 40, 160, 255)
_RED = (210, 20, 30, 255)
_FONT_BOLD = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf")


def _save(img: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    img.save(tmp, format="PNG")
    tmp.replace(path)
    return path


def signature_png(path: Path, width: int = 600, height: int = 240) -> Path:
    """A looping pen stroke with an underline flourish, drawn as a thick polyline."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points: list[tuple[float, float]] = []
    steps = 400
    for i in range(steps):
        t = i / (steps - 1)
        x = 40 + t * (width - 120)
        loops = 4.5
        y = height * 0.45 + math.sin(t * math.pi * 2 * loops) * height * 0.22 * (1 - 0.5 * t)
        x += math.cos(t * math.pi * 2 * loops) * 28
        points.append((x, y))
    draw.line(points, fill=_BLUE, width=7, joint="curve")
    flourish = [
        (60 + i * (width - 100) / 60, height * 0.78 - math.sin(i / 60 * math.pi) * 22)
        for i in range(61)
    ]
    draw.line(flourish, fill=_BLUE, width=5, joint="curve")
    return _save(img, path)


def seal_png(path: Path, text: str = "ỦY BAN NHÂN DÂN TỈNH SÓC TRĂNG", size: int = 600) -> Path:
    """A round red seal: two rings, ``text`` around the rim, a star in the middle.

    The pixel size does not matter: the appearance scales the image to the seal's real
    diameter (36 mm by default).
    """
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = size / 2
    draw.ellipse((6, 6, size - 6, size - 6), outline=_RED, width=12)
    draw.ellipse((size * 0.2, size * 0.2, size * 0.8, size * 0.8), outline=_RED, width=6)
    font_size = int(size * 0.075)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
            str(_FONT_BOLD), font_size
        )
    except OSError:
        font = ImageFont.load_default()
    radius = size * 0.4
    span = math.radians(300)
    start = -math.pi / 2 - span / 2
    for i, ch in enumerate(text):
        angle = start + span * (i + 0.5) / len(text)
        glyph = Image.new("RGBA", (font_size * 2, font_size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((font_size, font_size), ch, font=font, fill=_RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(angle) - font_size
        y = c + radius * math.sin(angle) - font_size
        img.alpha_composite(glyph, (int(x), int(y)))
    star = []
    for k in range(10):
        r = size * (0.17 if k % 2 == 0 else 0.07)
        a = -math.pi / 2 + k * math.pi / 5
        star.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(star, fill=_RED)
    return _save(img, path)
