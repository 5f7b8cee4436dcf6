"""sha256 of bytes, as hex. CPython 3.11's own sha256 (the _sha256 module) gives the same digest as hashlib's and
loads in a fraction of a millisecond; hashlib loads OpenSSL first, a tenth of the floor bench/ measures against,
for the few digests of a run (the spec, the files of a home)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the same interface; typeshed has no stubs for _sha256
    from hashlib import sha256 as _sha256
else:
    try:
        from _sha256 import sha256 as _sha256
    except ImportError:  # another interpreter, or Python 3.12+ (_sha2): hashlib's
        from hashlib import sha256 as _sha256


def sha256(data: bytes) -> str:
    return _sha256(data).hexdigest()
