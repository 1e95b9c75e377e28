"""How stored documents are packed: orjson bytes, or Zstandard with a preset dictionary.

Why zstd and not zlib (which rows written before session 8 use, and which stays readable):
with the same 16 KB preset dictionary (store/zdict.py) zlib spent ~130 µs per 2 KB
document loading the dictionary into its window, about a tenth of what processing a
received `Create` costs; zstd with the dictionary digested once per process compresses
the same documents in ~13 µs and decompresses them in ~4 µs (zlib ~12), for ~7 % more
bytes (docs/performance.md "Inbox processing"). The first byte tells the forms apart
without a flag: `{` is JSON, 0x78 a zlib stream, 0x28 the zstd frame magic.
"""

from __future__ import annotations

import threading
import zlib
from typing import Any

import orjson
import zstandard

from .zdict import ZDICT_V1

#: Documents above this size are compressed when that saves at least a fifth.
COMPRESS_ABOVE = 512
#: zstd level 3 (its default): level 6 saves another 5 % for twice the CPU.
LEVEL = 3
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

_DICT = zstandard.ZstdCompressionDict(ZDICT_V1, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
_DICT.precompute_compress(level=LEVEL)
#: One compressor and decompressor per thread: building one costs ~30 µs, and they are
#: not safe to share between threads (the CLI's copy and tests use worker threads).
_LOCAL = threading.local()


def _zstd() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    pair: tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor] | None = getattr(
        _LOCAL, "pair", None
    )
    if pair is None:
        pair = (
            zstandard.ZstdCompressor(
                level=LEVEL, dict_data=_DICT, write_checksum=False, write_dict_id=False
            ),
            zstandard.ZstdDecompressor(dict_data=_DICT),
        )
        _LOCAL.pair = pair
    return pair


def encode_document(doc: dict[str, Any]) -> bytes:
    """orjson bytes, or zstd of them when the document is large enough for it to pay."""
    raw = orjson.dumps(doc)
    if len(raw) > COMPRESS_ABOVE:
        packed = _zstd()[0].compress(raw)
        if len(packed) < len(raw) * 0.8:
            return packed
    return raw


def decode_document(value: str | bytes) -> dict[str, Any]:
    """Any stored form: TEXT (rows from before migration 051), orjson bytes, zlib (rows
    from sessions 6-7) or zstd."""
    if isinstance(value, bytes):
        if value[:4] == _ZSTD_MAGIC:
            value = _zstd()[1].decompress(value)
        elif value[:1] != b"{":
            unpacker = zlib.decompressobj(zdict=ZDICT_V1)
            value = unpacker.decompress(value) + unpacker.flush()
    doc: dict[str, Any] = orjson.loads(value)
    return doc
