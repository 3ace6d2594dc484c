"""A throwaway local Synapse homeserver for the demo, the integration tests and benchmarks.

The bot itself never needs this module; it exists so that everything that talks to "a
real homeserver" during development starts the same, fast, federation-free Synapse
on 127.0.0.1. It deliberately avoids nio: the harness must not depend on the chat
library it is used to test.

The configuration is written by hand instead of ``--generate-config`` (which takes
seconds and produces a production config we would have to patch). It is JSON, which
is valid YAML, so no YAML library is needed. Secrets and the signing key live in files
next to the database and are reused, so a demo can be re-run with the same data.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self

import aiohttp

logger = logging.getLogger(__name__)

RateLimits = Literal["relaxed", "strict"]

START_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0
_POLL_INTERVAL_S = 0.1
_LOG_TAIL_LINES = 40

# Far beyond anything a test or benchmark does, so only the limiter under study can trip.
_UNLIMITED = {"per_second": 10_000, "burst_count": 100_000}
# Synapse's own default for rc_message: one message per 5 s after a burst of 10.
_STRICT_MESSAGES = {"per_second": 0.2, "burst_count": 10}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    """Whether nothing listens on ``port``; connections in TIME_WAIT (restart) don't count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class SynapseError(RuntimeError):
    """The homeserver could not be started or refused an admin request."""

    def __init__(self, message: str, errcode: str | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode
        """Matrix's error code when the homeserver answered one (e.g. M_USER_IN_USE)."""


def _rate_limit_config(rate_limits: RateLimits) -> dict[str, Any]:
    """Every ``rc_*`` limiter Synapse 1.163 reads (synapse/config/ratelimiting.py), relaxed.

    Defaults are tight enough (e.g. 3 logins per ~5 min and address, 10 room creations)
    that a test session trips them; "strict" only restores the message limit.
    """
    return {
        "rc_message": _STRICT_MESSAGES if rate_limits == "strict" else _UNLIMITED,
        "rc_registration": _UNLIMITED,
        "rc_registration_token_validity": _UNLIMITED,
        "rc_login": {
            "address": _UNLIMITED,
            "account": _UNLIMITED,
            "failed_attempts": _UNLIMITED,
        },
        "rc_admin_redaction": _UNLIMITED,
        "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
        "rc_joins_per_room": _UNLIMITED,
        "rc_key_requests": _UNLIMITED,
        "rc_3pid_validation": _UNLIMITED,
        "rc_invites": {
            "per_room": _UNLIMITED,
            "per_user": _UNLIMITED,
            "per_issuer": _UNLIMITED,
        },
        "rc_third_party_invite": _UNLIMITED,
        "rc_media_create": _UNLIMITED,
        "rc_presence": {"per_user": _UNLIMITED},
        "rc_delayed_event_mgmt": _UNLIMITED,
        "rc_room_creation": _UNLIMITED,
        "rc_reports": _UNLIMITED,
        "rc_user_directory": _UNLIMITED,
        "rc_profile": _UNLIMITED,
    }


def _ensure_secret_file(path: Path) -> Path:
    """Create a random secret in ``path`` unless one is there (owner-readable only)."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path


def _ensure_signing_key(path: Path) -> Path:
    """Write an ed25519 signing key in Synapse's format unless one is there.

    The file format (``ed25519 <key id> <unpadded base64 seed>``) is what signedjson's
    ``write_signing_keys`` produces; a seed is just 32 random bytes, so no import needed.
    """
    if not path.exists():
        seed = base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
        path.write_text(f"ed25519 a_{secrets.token_hex(2)} {seed}\n", encoding="utf-8")
        path.chmod(0o600)
    return path


@dataclass
class LocalSynapse:
    """One Synapse process serving the client API on ``127.0.0.1:port``.

    ``start()``/``stop()`` may be called repeatedly on the same instance (the same data),
    which is how tests check that the bot survives a homeserver restart.
    """

    data_dir: Path
    port: int = field(default_factory=free_port)
    server_name: str = "localhost"
    rate_limits: RateLimits = "relaxed"
    _process: asyncio.subprocess.Process | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _log_file: IO[bytes] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def base_url(self) -> str:
        """The homeserver URL clients (nio, the bot) connect to."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "homeserver.yaml"

    @property
    def process_log_path(self) -> Path:
        """Synapse's stdout/stderr: start-up failures and tracebacks end up here."""
        return self.data_dir / "synapse.out"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def write_config(self) -> Path:
        """Write ``homeserver.yaml`` and its log config; create secrets and key once.

        The config itself is rewritten every time so a changed port or rate-limit mode
        takes effect on an existing data dir; the secrets, signing key and database
        are kept.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        data_dir = self.data_dir.resolve()
        log_config_path = data_dir / "log_config.yaml"
        log_config = {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - "
                    "%(request)s - %(message)s"
                }
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(data_dir / "homeserver.log"),
                    "encoding": "utf8",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        log_config_path.write_text(json.dumps(log_config, indent=2), encoding="utf-8")
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(data_dir / "homeserver.db")},
            },
            "log_config": str(log_config_path),
            "media_store_path": str(data_dir / "media_store"),
            "signing_key_path": str(_ensure_signing_key(data_dir / "signing.key")),
            "registration_shared_secret_path": str(
                _ensure_secret_file(data_dir / "registration_shared_secret")
            ),
            "macaroon_secret_key_path": str(_ensure_secret_file(data_dir / "macaroon_secret")),
            "form_secret_path": str(_ensure_secret_file(data_dir / "form_secret")),
            "enable_registration": False,
            # Registration and login hash passwords; the default 12 rounds cost ~0.2 s each.
            "bcrypt_rounds": 4,
            "report_stats": False,
            "enable_metrics": False,
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            **_rate_limit_config(self.rate_limits),
        }
        self.config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        return self.config_path

    async def start(self) -> None:
        """Launch Synapse and return once it answers the client API."""
        if self.running:
            raise SynapseError(f"Synapse on port {self.port} is already running")
        # Otherwise a leftover server on the port would answer the readiness check for us.
        if not _port_is_free(self.port):
            raise SynapseError(f"port {self.port} on 127.0.0.1 is in use (an old Synapse?)")
        config_path = await asyncio.to_thread(self.write_config)
        started = time.monotonic()
        self._log_file = self.process_log_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "synapse.app.homeserver",
            "-c",
            str(config_path),
            cwd=self.data_dir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await self._wait_until_ready(started + START_TIMEOUT_S)
        except BaseException:
            await self.stop()
            raise
        logger.info(
            "Synapse %s up on %s after %.1f s (data in %s)",
            self.server_name,
            self.base_url,
            time.monotonic() - started,
            self.data_dir,
        )

    async def _wait_until_ready(self, deadline: float) -> None:
        """Poll ``/_matrix/client/versions`` until it answers, the process dies or time is up."""
        assert self._process is not None
        url = self.base_url + "/_matrix/client/versions"
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if self._process.returncode is not None:
                    raise SynapseError(
                        f"Synapse exited with code {self._process.returncode} during start-up"
                        f"\n{self._log_tail()}"
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise SynapseError(
                        f"Synapse did not answer on {url} within {START_TIMEOUT_S:.0f} s"
                        f"\n{self._log_tail()}"
                    )
                await asyncio.sleep(_POLL_INTERVAL_S)

    def _log_tail(self) -> str:
        """The last lines of Synapse's output and of its own log, for error messages."""
        tails = []
        for path in (self.process_log_path, self.data_dir / "homeserver.log"):
            if path.exists():
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
                tails.append(f"--- {path} ends with:\n" + "\n".join(lines[-_LOG_TAIL_LINES:]))
        return "\n".join(tails)

    async def stop(self) -> None:
        """Terminate Synapse (SIGTERM, SIGKILL after a grace period); a no-op if stopped."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            except TimeoutError:
                logger.warning("Synapse ignored SIGTERM for %.0f s, killing it", STOP_GRACE_S)
                process.kill()
                await process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def register_user(
        self,
        localpart: str,
        password: str,
        admin: bool = False,
        displayname: str | None = None,
    ) -> str:
        """Create a user through the shared-secret admin API and return its user id.

        An existing user counts as success (its password is left as it was), so demo
        set-up can simply be run again.
        """
        try:
            result = await self.register_account(localpart, password, admin, displayname)
        except SynapseError as error:
            if error.errcode == "M_USER_IN_USE":
                return self.user_id(localpart)
            raise
        return str(result["user_id"])

    async def register_account(
        self,
        localpart: str,
        password: str,
        admin: bool = False,
        displayname: str | None = None,
    ) -> dict[str, Any]:
        """Create a user as `register_user` does; Synapse's answer, with an access token."""
        url = self.base_url + "/_synapse/admin/v1/register"
        shared_secret = (
            (self.data_dir / "registration_shared_secret").read_text(encoding="utf-8").strip()
        )
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.get(url) as response:
                nonce = (await response.json())["nonce"]
            mac = hmac.new(shared_secret.encode("utf-8"), digestmod=hashlib.sha1)
            mac.update(
                b"\x00".join(
                    [
                        nonce.encode("utf-8"),
                        localpart.encode("utf-8"),
                        password.encode("utf-8"),
                        b"admin" if admin else b"notadmin",
                    ]
                )
            )
            body: dict[str, Any] = {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            }
            if displayname is not None:
                body["displayname"] = displayname
            async with session.post(url, json=body) as response:
                result = await response.json()
        if response.status == 200:
            logger.debug("Registered %s (admin=%s)", result["user_id"], admin)
            return dict(result)
        raise SynapseError(
            f"Registering {localpart!r} failed with HTTP {response.status}: "
            f"{result.get('errcode')} {result.get('error')}",
            result.get("errcode"),
        )
