"""Passwords verified moments ago, so a client that sends its password with every call (as
billing clients of the PABX API do) pays for argon2 once per interval instead of on each page.

Kept in this process only, as keyed digests under a random per-process key (never the password).
The entry is keyed by the stored hash too, so a changed password misses at once; a failure is
never remembered, and throttling and the disabled flag are checked before it is consulted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict


class RecentPasswords:
    def __init__(self, seconds: float, size: int = 4096) -> None:
        self.seconds = seconds
        self.size = size
        self._key = secrets.token_bytes(32)
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def _id(self, stored_hash: str, password: str) -> bytes:
        message = stored_hash.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def verified(self, stored_hash: str, password: str) -> bool:
        """True when this password matched this stored hash less than `seconds` ago."""
        if self.seconds <= 0:
            return False
        ident = self._id(stored_hash, password)
        with self._lock:
            until = self._seen.get(ident)
            return until is not None and until > time.monotonic()

    def remember(self, stored_hash: str, password: str) -> None:
        if self.seconds <= 0:
            return
        ident = self._id(stored_hash, password)
        with self._lock:
            self._seen[ident] = time.monotonic() + self.seconds
            self._seen.move_to_end(ident)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
