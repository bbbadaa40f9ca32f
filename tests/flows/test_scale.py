"""flows.scale without a server: module entrypoints a worker can load, the worker's command and environment,
and a clear error when PREFECT_API_URL is missing or does not answer."""

from __future__ import annotations

import socket

import pytest

from mediebild.errors import UserError
from mediebild.flows.scale import check_api, module_entrypoint, worker_command, worker_environment


def test_entrypoints_become_module_paths_a_worker_anywhere_can_load():
    from prefect.flows import load_flow_from_entrypoint

    assert module_entrypoint("../x/mediebild/flows/monitor.py:monitor_pass") == "mediebild.flows.monitor.monitor_pass"
    assert load_flow_from_entrypoint("mediebild.flows.fanout.ingest_sources").name == "ingest-sources"
    assert load_flow_from_entrypoint("mediebild.flows.monitor.monitor_pass").name == "monitor-pass"
    with pytest.raises(ValueError):
        module_entrypoint("/elsewhere/flows.py:f")


def test_the_worker_is_prefects_process_worker_with_mediebilds_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mediebild.toml").write_text("[ingest]\nretries = 1\n")
    argv, name = worker_command(limit=3, name="w1")
    assert argv[1:] == ["-m", "mediebild.flows.worker", "worker", "start", "--pool", "mediebild", "--type", "process", "--name", "w1",
                        "--limit", "3"] and name == "w1"
    env = worker_environment(db=tmp_path / "a.duckdb", name=name, heartbeat_s=5, poll_s=1, base={"PATH": "/bin"})
    assert env["MEDIEBILD_DB"] == str(tmp_path / "a.duckdb") and env["MEDIEBILD_WORKER_NAME"] == "w1"
    assert env["MEDIEBILD_CONFIG"] == str(tmp_path / "mediebild.toml")
    assert env["PREFECT_WORKER_HEARTBEAT_SECONDS"] == "5" and env["DO_NOT_TRACK"] == "1"
    argv, _ = worker_command(name="w2", groups_only=True)  # another machine: only the groups' work queue
    assert argv[-2:] == ["--work-queue", "groups"]


def test_a_missing_or_silent_prefect_api_is_one_clear_error(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(UserError, match="PREFECT_API_URL is not set"):
        check_api()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UserError, match="does not answer"):
        check_api(f"http://127.0.0.1:{port}/api", timeout=1)
