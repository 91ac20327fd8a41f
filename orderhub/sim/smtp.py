"""A small SMTP server (aiosmtpd) standing in for the seller's mail relay.

It asks for AUTH LOGIN/PLAIN and refuses wrong credentials as relays do (535 5.7.8), refuses
unknown recipients (550 5.1.1), records every accepted message parsed (subject and body
decoded) and raw, and fails on demand with the platform simulators' Faults: `errors` answer
451 4.3.0 at DATA, `throttle` 421 4.7.0 at MAIL, `timeouts` hold DATA for `hang_seconds`.
Stopping it is the "server down" case (connection refused).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes, policy
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from orderhub.sim.platform import Faults


class SmtpSim:
    name = "smtp"

    def __init__(self, *, username: str = "sim-smtp-user", password: str = "sim-smtp-password",
                 rejected: tuple[str, ...] = ()) -> None:
        self.username, self.password = username, password
        self.rejected = {r.lower() for r in rejected}  # addresses answered 550 5.1.1
        self.faults = Faults()
        self.received: list[dict[str, Any]] = []
        self.refused: dict[str, int] = {}
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # --- the server's side (aiosmtpd handler hooks) -----------------------------------------

    def _refuse(self, reason: str, reply: str) -> str:
        with self._lock:
            self.refused[reason] = self.refused.get(reason, 0) + 1
        return reply

    def _take(self, name: str) -> bool:
        with self._lock:
            if getattr(self.faults, name) > 0:
                setattr(self.faults, name, getattr(self.faults, name) - 1)
                return True
        return False

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode("utf-8", "replace") == self.username
              and auth_data.password.decode("utf-8", "replace") == self.password)
        if not ok:
            self._refuse("bad_login", "")
        return AuthResult(success=ok, handled=False)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        # Relays refuse mail before a login with 530; checked here rather than by aiosmtpd's
        # auth_required, which warns on every connection about AUTH without TLS.
        if not session.authenticated:
            return self._refuse("no_login", "530 5.7.0 Authentication required")
        if self._take("throttle"):
            return self._refuse("throttled", "421 4.7.0 Too many messages, slow down")
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if address.lower() in self.rejected:
            return self._refuse("bad_recipient", "550 5.1.1 Mailbox does not exist")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._take("timeouts"):
            self._refuse("timeout", "")
            await asyncio.sleep(self.faults.hang_seconds)
        if self._take("errors"):
            return self._refuse("error", "451 4.3.0 Temporary server error, try again later")
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        with self._lock:
            self.received.append({
                "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                "authenticated": bool(getattr(session, "authenticated", False)),
                "subject": str(parsed["Subject"]), "from": str(parsed["From"]),
                "to": str(parsed["To"]), "headers": dict(parsed.items()),
                "text": body.get_content() if body is not None else "", "raw": raw})
        return "250 2.0.0 Message accepted for delivery"

    # --- serving ----------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        # aiosmtpd checks it is up by connecting to its port, so a free one is chosen first.
        port = port or _free_port(host)
        self._controller = Controller(self, hostname=host, port=port, authenticator=self.authenticate,
                                      auth_require_tls=False)
        self._controller.start()
        return host, port

    @property
    def address(self) -> tuple[str, int]:
        assert self._controller is not None, "simulator not started"
        return self._controller.hostname, self._controller.port

    def serve_forever(self, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.start(host, port)
        threading.Event().wait()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
