"""Helpers of the tests that start real servers: free ports, pages that answer, an inbox."""

from __future__ import annotations

import socket
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str) -> bool:
    """Whether the page answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


class Inbox:
    """A real SMTP server's handler (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.port = free_port()

    async def handle_DATA(self, server: object, session: object, envelope) -> str:
        self.messages.append(envelope.content)
        return "250 OK"
