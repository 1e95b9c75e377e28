"""Checking and cleaning an uploaded image with Pillow: no I/O besides the bytes given.

Why re-encode: it is the only sure way to drop EXIF (GPS position of a resident's home),
XMP, ICC comments and anything appended after the image data; the orientation EXIF
carried is applied to the pixels first. Only JPEG, PNG and WebP are accepted, decided by
Pillow reading the data, never by the file name or the client's Content-Type.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from ...errors import TooLarge, Unprocessable

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 16_777_216  # 4096 × 4096
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    blurhash: str


def clean(raw: bytes) -> Cleaned:
    # Imported here: Pillow and blurhash cost ~3 MB of the idle server's memory
    # (bench/idle_memory.py) and only uploads need them.
    import blurhash
    from PIL import Image, ImageOps

    if len(raw) > MAX_BYTES:
        raise TooLarge(f"images are limited to {MAX_BYTES // 1_048_576} MiB", field="file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(raw))
            fmt = probe.format
            if fmt not in FORMATS:
                raise Unprocessable("only JPEG, PNG and WebP images are accepted", field="file")
            if probe.width * probe.height > MAX_PIXELS:
                raise Unprocessable(f"images are limited to {MAX_PIXELS:,} pixels", field="file")
            probe.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Unprocessable(f"images are limited to {MAX_PIXELS:,} pixels", field="file") from None
    except (OSError, SyntaxError, ValueError):
        raise Unprocessable("the file is not a readable image", field="file") from None
    image = ImageOps.exif_transpose(probe)
    content_type, extension = FORMATS[fmt]
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    # A fresh save writes no EXIF, XMP or comments (none are passed).
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=88)
    small = image.convert("RGB")
    small.thumbnail((64, 64))
    with warnings.catch_warnings():
        # blurhash-python reads pixels with Image.getdata, deprecated in recent Pillow.
        warnings.simplefilter("ignore", DeprecationWarning)
        hashed = blurhash.encode(small, x_components=4, y_components=3)
    return Cleaned(
        data=out.getvalue(),
        content_type=content_type,
        extension=extension,
        width=image.width,
        height=image.height,
        blurhash=hashed,
    )
