"""A config file's encoding (byte-order mark, XML declaration, else UTF-8) and its lossless decoding."""

from __future__ import annotations

import codecs
import re

from wso2patch.errors import ConfigError
from wso2patch.xmltext import line_number

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECL_ENCODING = re.compile(r"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
# What a declaration may say after each byte-order mark. Java's parser (which WSO2 uses) switches to the declared
# encoding once it has read the declaration, so any other name makes it read garbage: a fatal error there.
_AGREES = {"utf-8": {"utf-8"}, "utf-16-le": {"utf-16", "utf-16-le", "iso-10646-ucs-2"},
           "utf-16-be": {"utf-16", "utf-16-be", "iso-10646-ucs-2"}}
_BOM_NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16 (little-endian)", "utf-16-be": "UTF-16 (big-endian)"}
_WIDE = ("utf-16", "utf-32", "iso-10646")  # encodings whose text is never single-byte


def _codec(name: str, where: str) -> str:
    if name.lower() == "iso-10646-ucs-2":  # Java's name for UTF-16; Python has none
        return name.lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ConfigError(f"unknown encoding {name!r} in the XML declaration", where=f"{where}:1:1",
                          hint="fix the declaration") from None


def detect_encoding(raw: bytes, where: str) -> str:
    """The file's encoding: its byte-order mark, else its XML declaration, else UTF-8; refused when they disagree."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            m = _DECL_ENCODING.match(raw[len(bom) : len(bom) + 400].decode(codec, errors="replace"))
            if m and _codec(m.group(1), where) not in _AGREES[codec]:
                raise ConfigError(f"the byte-order mark says {_BOM_NAMES[codec]} but the XML declaration says "
                                  f"encoding=\"{m.group(1)}\" (Java's XML parser reads such a file wrongly or not "
                                  "at all)",
                                  where=f"{where}:1:1", hint="make them agree: fix the declaration, or re-save "
                                  "the file in the encoding it declares, then rerun")
            return codec
    if raw.startswith((b"<\x00", b"\x00<")):  # the XML spec requires a BOM on UTF-16 (section 4.3.3)
        raise ConfigError("UTF-16 without a byte-order mark", where=f"{where}:1:1",
                          hint="save the file as UTF-8 (or UTF-16 with a BOM) and rerun")
    m = _DECL_ENCODING.match(raw[:400].decode("latin-1"))
    if not m:
        return "utf-8"
    codec = _codec(m.group(1), where)
    if codec.startswith(_WIDE):  # yet the declaration was just read as single-byte text
        raise ConfigError(f"the XML declaration says encoding=\"{m.group(1)}\" but the file is single-byte text "
                          "without a byte-order mark (a fatal error for Java's XML parser)", where=f"{where}:1:1",
                          hint="fix the declaration (e.g. encoding=\"UTF-8\") and rerun")
    return codec


def decode(raw: bytes, encoding: str, where: str) -> str:
    """The file's text; refused when its bytes are not `encoding` or hold NUL."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        line = line_number(good := raw[: e.start].decode(encoding), len(good))
        raise ConfigError(f"bytes that are not {encoding}", where=f"{where}:{line}:1",
                          hint="fix the file's encoding or its XML declaration") from None
    if "\x00" in text:
        line = line_number(text, text.index("\x00"))
        raise ConfigError(f"NUL bytes: the file is not {encoding}", where=f"{where}:{line}:1",
                          hint="save it as UTF-8 or ISO-8859-1, or fix its XML declaration")
    return text
