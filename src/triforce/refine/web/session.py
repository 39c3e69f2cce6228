"""Signed session cookies and CSRF tokens for the review page.

A reviewer signs in with their name and token (checked against the queue's stored hash); the
page then keeps a cookie `name|expires|token-fingerprint|signature`, signed with a secret kept
in the state folder. The fingerprint ties the session to the token: issuing a reviewer a new
token (`triforce review add-reviewer NAME`) ends their old sessions. Every form carries a CSRF
token derived from the session, so another site cannot post decisions in a reviewer's name.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from triforce.fsio import read_text_bounded

COOKIE = "triforce_review"
SESSION_HOURS = 12.0


def load_secret(state_dir: Path) -> bytes:
    """The state folder's signing secret, created (mode 0600) on first use."""
    path = state_dir / "review-secret"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return bytes.fromhex(read_text_bounded(path, 4096).strip())


class Signer:
    """Issues and reads session cookies and their CSRF tokens with one secret."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._key = secret
        self._clock = clock

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def issue(self, reviewer: str, fingerprint: str) -> str:
        expires = int(self._now() + SESSION_HOURS * 3600)
        payload = f"{reviewer}|{expires}|{fingerprint}"
        return f"{payload}|{self._sign(payload)}"

    def read(self, cookie: str | None) -> tuple[str, str] | None:
        """(reviewer, fingerprint) of a valid, unexpired cookie, else None."""
        if not cookie or cookie.count("|") != 3:
            return None
        reviewer, expires, fingerprint, signature = cookie.split("|")
        if not hmac.compare_digest(signature, self._sign(f"{reviewer}|{expires}|{fingerprint}")):
            return None
        if not expires.isdigit() or int(expires) < self._now():
            return None
        return reviewer, fingerprint

    def csrf(self, cookie: str) -> str:
        return self._sign(f"csrf|{cookie}")

    def check_csrf(self, cookie: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf(cookie))

    def _now(self) -> float:
        return float(self._clock())
