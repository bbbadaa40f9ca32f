"""A throwaway PostgreSQL server for the shared store's tests and bench/intake.py: Debian's binaries, a temporary
data folder, 127.0.0.1 on a free port, password authentication (scram) for TCP, no Unix socket.

initdb and postgres refuse to run as root, so as root they run as the `postgres` user (runuser, else setpriv)
in a folder that user owns. `find_bin()` is None when no PostgreSQL binaries exist (the tests skip then).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "intake-test-secret-42"
USER = "mediebild"


def find_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for folder in candidates:
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    bin: Path
    folder: Path
    port: int
    as_user: list[str]

    def url(self, db: str = "postgres", user: str = USER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_user, *args], check=check, capture_output=True, text=True)

    def create_db(self, name: str) -> str:
        """A fresh database; its URL (the password comes from PGPASSWORD)."""
        import psycopg

        with psycopg.connect(self.url(), password=PASSWORD, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def start(*, fsync: bool = False) -> PgServer:
    """Start a server; `fsync` off for tests (faster, nothing to keep), on for benchmarks (what a real one does)."""
    pg_bin = find_bin()
    if pg_bin is None:
        raise RuntimeError("no PostgreSQL binaries (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="mediebild-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
        runuser = shutil.which("runuser")
        as_user = ([runuser, "-u", "postgres", "--"] if runuser else
                   ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"])
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    server = PgServer(pg_bin, folder, free_port(), as_user)
    server.run(str(pg_bin / "initdb"), "-D", str(folder / "data"), "-U", USER, f"--pwfile={pwfile}",
               "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8")
    options = f"-h 127.0.0.1 -p {server.port} -k '' -c max_connections=60" + ("" if fsync else " -c fsync=off")
    server.run(str(pg_bin / "pg_ctl"), "-D", str(folder / "data"), "-o", options, "-l", str(folder / "log"),
               "-w", "-t", "60", "start")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", server.port)) == 0:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"PostgreSQL did not start on port {server.port}")
