"""Text encodings of exported files: detection by strict decoding, and transcoding to UTF-8.

DuckDB's CSV reader decodes only UTF-8 (and UTF-16 / Latin-1), so every other encoding is
decoded here, in chunks, into a temporary UTF-8 file that DuckDB then reads.

Detection order (first that fits wins, except where noted):

1. a byte-order mark: UTF-8-SIG, UTF-16 LE/BE (Excel's "Unicode text"), UTF-32;
2. UTF-16 without a mark, recognised by NUL bytes in every other position;
3. strict UTF-8;
4. the Chinese double-byte encodings GB18030 (a superset of GBK/GB2312) and Big5: both
   are tried and scored by the share of decoded characters that are among the common
   characters of their own script (GB2312 level 1, Big5 level 1). Big5 bytes usually
   decode as GB18030 too, but as rare characters, so the score separates them;
5. cp1252 (Windows Western), which also covers Latin-1 text; Latin-1 when cp1252 fails.

A candidate Chinese decoding that scores low is set aside when cp1252 also decodes, since
accented Latin text can be valid GB18030 by accident.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

# Name shown to the user -> Python codec used to decode it.
CODECS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "utf-32": "utf-32",
    "gb18030": "gb18030",
    "big5": "cp950",
    "cp1252": "cp1252",
    "latin-1": "latin-1",
}
# Shares of common characters below this mark a decoding as implausible (garbage).
MIN_CJK_PLAUSIBILITY = 0.5
CHUNK_BYTES = 8 << 20
# The line count runs in a thread beside DuckDB: short chunks hold the GIL only briefly.
SCAN_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class EncodingGuess:
    """The detected encoding, how sure we are (0..1), and the rule that decided it."""

    encoding: str
    confidence: float
    reason: str


def normalise_encoding_name(name: str) -> str:
    """A user's or codec's spelling of an encoding -> our display name (``GBK`` -> ``gb18030``)."""
    clean = name.strip().lower().replace("_", "-")
    aliases = {
        "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig",
        "utf-16": "utf-16", "utf16": "utf-16", "utf-16le": "utf-16-le", "utf-16-le": "utf-16-le",
        "utf-16be": "utf-16-be", "utf-16-be": "utf-16-be", "utf-32": "utf-32",
        "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030", "cp936": "gb18030",
        "big5": "big5", "cp950": "big5", "big5hkscs": "big5",
        "cp1252": "cp1252", "windows-1252": "cp1252", "latin-1": "latin-1", "latin1": "latin-1",
        "iso-8859-1": "latin-1", "iso8859-1": "latin-1",
    }
    if clean in aliases:
        return aliases[clean]
    try:
        return codecs.lookup(clean).name
    except LookupError:
        raise ValueError(name) from None


def python_codec(name: str) -> str:
    """The Python codec that decodes display encoding ``name``."""
    return CODECS.get(name, name)


@lru_cache(maxsize=1)
def _common_characters() -> tuple[frozenset[str], frozenset[str]]:
    """GB2312 level-1 (3,755 most used simplified) and Big5 level-1 (5,401 most used traditional)."""
    gb = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                gb.add(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    b5 = set()
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            if lead == 0xC6 and trail > 0x7E:
                break
            try:
                b5.add(bytes([lead, trail]).decode("cp950"))
            except UnicodeDecodeError:
                pass
    return frozenset(gb), frozenset(b5)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def cjk_plausibility(text: str, encoding: str) -> float | None:
    """Share of non-ASCII characters of ``text`` that are common characters of the script.

    None when the text has no non-ASCII character.
    """
    gb, b5 = _common_characters()
    common = gb if encoding == "gb18030" else b5
    wide = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    if not wide:
        return None
    # Full-width punctuation is common to both scripts; only characters decide.
    considered = [c for c in wide if _is_cjk(c) or not ("\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef")]
    if not considered:
        return 1.0
    return sum(1 for c in considered if c in common) / len(considered)


def _strict(data: bytes, codec: str, final: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(codec)("strict").decode(data, final)
    except UnicodeDecodeError:
        return None


def _looks_utf16(data: bytes) -> str | None:
    if len(data) < 4:
        return None
    even, odd = data[0::2], data[1::2]
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if nul_odd > 0.3 and nul_even < 0.05:
        return "utf-16-le"
    if nul_even > 0.3 and nul_odd < 0.05:
        return "utf-16-be"
    return None


def detect_encoding(sample: bytes, complete: bool) -> EncodingGuess:
    """Detect the encoding of ``sample`` (the file's first bytes; ``complete`` if it is all of it)."""
    if sample.startswith(codecs.BOM_UTF8):
        return EncodingGuess("utf-8-sig", 1.0, "bom")
    if sample.startswith(codecs.BOM_UTF32_LE) or sample.startswith(codecs.BOM_UTF32_BE):
        return EncodingGuess("utf-32", 1.0, "bom")
    if sample.startswith(codecs.BOM_UTF16_LE) or sample.startswith(codecs.BOM_UTF16_BE):
        return EncodingGuess("utf-16", 1.0, "bom")
    utf16 = _looks_utf16(sample[:4096])
    if utf16:
        return EncodingGuess(utf16, 0.9, "nul_pattern")
    if _strict(sample, "utf-8", complete) is not None:
        ascii_only = sample.isascii()
        return EncodingGuess("utf-8", 1.0 if not ascii_only else 0.99, "strict")
    scored = []
    for name in ("gb18030", "big5"):
        text = _strict(sample, python_codec(name), complete)
        if text is not None:
            score = cjk_plausibility(text, name)
            scored.append((score if score is not None else 0.0, name))
    western = _strict(sample, "cp1252", complete)
    if scored:
        score, name = max(scored, key=lambda s: (s[0], s[1] == "gb18030"))
        if score >= MIN_CJK_PLAUSIBILITY or western is None:
            runner_up = max((s for s, n in scored if n != name), default=0.0)
            return EncodingGuess(name, round(max(0.3, score - runner_up / 2), 2), "cjk_score")
    if western is not None:
        return EncodingGuess("cp1252", 0.8, "strict")
    return EncodingGuess("latin-1", 0.5, "fallback")


def decode_sample(sample: bytes, encoding: str, complete: bool) -> str:
    """Decode the first bytes of a file; a character cut at the end of ``sample`` is dropped.

    Raises UnicodeDecodeError when the bytes are not in ``encoding``.
    """
    return codecs.getincrementaldecoder(python_codec(encoding))("strict").decode(sample, complete)


@dataclass(frozen=True)
class ScanResult:
    """What one pass over a UTF-8 file found: newline count, a NUL byte, the last byte."""

    newlines: int
    has_nul: bool
    ends_with_newline: bool
    size: int


def scan_utf8(path: Path, newline: bytes = b"\n") -> ScanResult:
    """Count line ends and look for NUL bytes in one chunked pass (no decoding).

    A one-byte line end is counted by numpy (vectorised): several times faster than
    ``bytes.count``, which matters since the count runs beside DuckDB's read of the file.
    """
    count = 0
    nul = False
    last = b""
    size = 0
    buf = bytearray(max(1, min(SCAN_CHUNK_BYTES, path.stat().st_size)))
    view = np.frombuffer(buf, dtype=np.uint8)
    hits = np.empty(len(buf), dtype=bool)
    with open(path, "rb", buffering=0) as fh:
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            size += n
            if len(newline) == 1:
                count += int(np.count_nonzero(np.equal(view[:n], newline[0], out=hits[:n])))
            else:
                count += buf.count(newline, 0, n)
            if not nul and buf.find(b"\x00", 0, n) >= 0:
                nul = True
            last = bytes(buf[n - 1:n])
    return ScanResult(count, nul, last == newline[-1:], size)


class TranscodeError(Exception):
    """The file is not entirely in the given encoding; ``offset`` is the failing byte."""

    def __init__(self, offset: int, line: int) -> None:
        super().__init__(offset, line)
        self.offset = offset
        self.line = line


def transcode_to_utf8(source: Path, encoding: str, target: Path) -> ScanResult:
    """Decode ``source`` from ``encoding`` in chunks and write it as UTF-8 (no BOM) to ``target``.

    Memory stays bounded by the chunk size whatever the file size. Raises TranscodeError with
    the 1-based line of the first byte that is not valid in ``encoding``.
    """
    decoder = codecs.getincrementaldecoder(python_codec(encoding))("strict")
    newlines = 0
    nul = False
    last = ""
    offset = 0
    with open(source, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        first = True
        while True:
            chunk = src.read(CHUNK_BYTES)
            final = not chunk
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                raise TranscodeError(offset + exc.start, first_bad_line(source, encoding) or 1) from None
            if first and text.startswith("\ufeff"):
                text = text[1:]
            first = False
            if text:
                newlines += text.count("\n")
                nul = nul or "\x00" in text
                last = text[-1]
                dst.write(text)
            offset += len(chunk)
            if final:
                break
    return ScanResult(newlines, nul, last == "\n", target.stat().st_size)


def first_bad_line(source: Path, encoding: str) -> int | None:
    """1-based line of the first byte of ``source`` that is not valid ``encoding``, or None."""
    decoder = codecs.getincrementaldecoder(python_codec(encoding))("strict")
    offset = 0
    newline = b"\n\x00" if python_codec(encoding).startswith("utf-16") else b"\n"
    with open(source, "rb") as src:
        while True:
            chunk = src.read(CHUNK_BYTES)
            try:
                decoder.decode(chunk, not chunk)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                with open(source, "rb") as again:
                    return again.read(bad).count(newline) + 1
            if not chunk:
                return None
            offset += len(chunk)
