"""The version a button or modal shows: the approval's round and a digest of its arguments.

A button's value is ``APPROVAL:ROUND:DIGEST`` (ids and a digest, never the arguments);
the decision transaction refuses a click whose version is not the approval's current one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

DIGEST_LEN = 16
_REF = re.compile(rf"^([0-9]{{1,18}}):([0-9]{{1,9}}):([0-9a-f]{{{DIGEST_LEN}}})$")


def args_digest(args: Any) -> str:
    """A short, stable digest of an argument set (key order does not matter)."""
    text = json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LEN]


@dataclass(frozen=True)
class Version:
    """One exact state of an approval: which round, which arguments."""

    round: int
    digest: str

    @classmethod
    def of(cls, round_: int, args: Any) -> Version:
        """The version of an approval in ``round_`` with ``args``."""
        return cls(int(round_), args_digest(args))


@dataclass(frozen=True)
class Ref:
    """What a button or a modal names: an approval, at one version."""

    approval_id: int
    version: Version

    def encode(self) -> str:
        """As a button value or ``private_metadata``."""
        return f"{self.approval_id}:{self.version.round}:{self.version.digest}"


def encode_ref(approval_id: int, round_: int, args: Any) -> str:
    """The value naming ``approval_id`` at ``round_`` with ``args``."""
    return Ref(approval_id, Version.of(round_, args)).encode()


def parse_ref(raw: object) -> Ref | None:
    """A :class:`Ref` from untrusted text; None unless it is exactly well formed."""
    if not isinstance(raw, str) or not raw.isascii():
        return None
    found = _REF.match(raw)
    if found is None:
        return None
    return Ref(int(found[1]), Version(int(found[2]), found[3]))
