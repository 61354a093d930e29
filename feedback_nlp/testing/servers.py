"""Servers started as production starts them, and the HTTP helpers that drive them.

``start_server`` runs ``feedback-nlp serve`` in a subprocess (the only kind of server that can be
SIGKILLed) on a free port and waits for ``/v1/health``. Shared by the tests and by ``bench/``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "CLI",
    "REPO_ROOT",
    "Server",
    "bearer",
    "cli_create_key",
    "fetch_all_ids",
    "free_port",
    "postgres_database",
    "running_server",
    "server_env",
    "start_server",
    "wait_for_job",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout: the working folder of the subprocesses."""
CLI = [sys.executable, "-c", "from feedback_nlp.cli import main; main()"]
"""The ``feedback-nlp`` command, run by this interpreter."""


def bearer(key: str) -> dict[str, str]:
    """The ``Authorization`` header of ``key``."""
    return {"Authorization": f"Bearer {key}"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server or CLI subprocess over ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_NLP_")}
    env |= {
        "FEEDBACK_NLP_DATABASE__URL": database_url,
        "FEEDBACK_NLP_VAR_DIR": str(var_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


def cli_create_key(env: Mapping[str, str], workspace: str, *, admin: bool = False) -> str:
    """Create a key with ``feedback-nlp keys create`` (``--admin`` when asked); return it."""
    done = subprocess.run(
        [*CLI, "keys", "create", "--workspace", workspace, *(["--admin"] if admin else [])],
        env=dict(env),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("fnlp_"), done.stdout
    return key


@dataclass
class Server:
    """A ``feedback-nlp serve`` subprocess."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def client(self, key: str | None = None, timeout: float = 120.0) -> httpx.Client:
        """An HTTP client of this server, authenticated with ``key`` when given."""
        return httpx.Client(base_url=self.url, headers=bearer(key) if key else {}, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the server: no shutdown code runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 60.0) -> int:
        """Stop the server with SIGTERM (graceful shutdown); return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        return self.process.returncode

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's output, for assertion messages."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]


def start_server(env: Mapping[str, str], log: Path, ready_timeout: float = 180.0) -> Server:
    """Start ``feedback-nlp serve`` on a free port and wait until ``/v1/health`` answers."""
    port = free_port()
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=dict(env),
            cwd=REPO_ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    server = Server(process=process, url=f"http://127.0.0.1:{port}", log=log)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/v1/health", timeout=2).status_code == 200:
                return server
        time.sleep(0.2)
    server.stop()
    raise AssertionError(f"server not ready in {ready_timeout} s:\n{server.log_tail()}")


@contextlib.contextmanager
def running_server(env: Mapping[str, str], log: Path) -> Iterator[Server]:
    """A server for the ``with`` block; stopped (SIGTERM) at its end."""
    server = start_server(env, log)
    try:
        yield server
    finally:
        server.stop()


def wait_for_job(
    client: httpx.Client, job_id: str, timeout: float = 900.0, poll: float = 0.5
) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{id}`` until the job is finished; return its last state."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").raise_for_status().json()
        if job["state"] in {"succeeded", "failed", "cancelled"}:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} not finished in {timeout} s: {job}")
        time.sleep(poll)


def fetch_all_ids(client: httpx.Client, page_size: int = 1000) -> list[str]:
    """Every item id of the client's workspace, by following the cursor."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": page_size} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/feedback", params=params).raise_for_status().json()
        ids.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@contextlib.contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """Create a fresh PostgreSQL database on ``base_url``'s server; drop it on leaving.

    Use ``with postgres_database(url) as database_url:`` (pytest fixtures and the benches alike).
    """
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    name = f"fnlp_api_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
