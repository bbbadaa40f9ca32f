"""flows.serve.prefect_api: `mediebild serve` needs a Prefect server whose scheduler runs. Prefect 3's temporary
in-process server never schedules a run of a served deployment (its scheduler service is marked not to run in
ephemeral servers), which is why `serve --every 1` on the demo database ran no monitoring pass."""

from __future__ import annotations

import os

import pytest

from mediebild.flows.serve import prefect_api


def test_a_configured_prefect_api_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.internal:4200/api")
    with prefect_api() as url:
        assert url == "http://prefect.internal:4200/api"
    assert os.environ["PREFECT_API_URL"] == "http://prefect.internal:4200/api"


@pytest.mark.slow
@pytest.mark.prefect
def test_the_local_server_schedules_runs_of_an_interval_deployment(tmp_path, monkeypatch):
    """Without PREFECT_API_URL a local server starts, and a deployment every minute gets scheduled runs."""
    import subprocess
    import sys
    import textwrap

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    with prefect_api(wait=240) as url:
        assert url.startswith("http://127.0.0.1:")
        # a fresh interpreter, as `mediebild serve` imports prefect only after the server is up
        code = textwrap.dedent('''
            import asyncio, time
            from datetime import timedelta
            from prefect import flow
            from prefect.client.orchestration import get_client
            from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

            @flow(name="tick")
            def tick():
                return 1

            async def main():
                flow_id = None
                async with get_client() as client:
                    flow_id = await client.create_flow(tick)
                    deployment_id = await client.create_deployment(
                        flow_id=flow_id, name="every-minute", entrypoint="x.py:tick",
                        schedules=[__import__("prefect.client.schemas.actions", fromlist=["x"]).DeploymentScheduleCreate(
                            schedule=__import__("prefect.client.schemas.schedules", fromlist=["x"]).IntervalSchedule(
                                interval=timedelta(minutes=1)), active=True)])
                    for _ in range(90):
                        runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(
                            id=DeploymentFilterId(any_=[deployment_id])))
                        if runs:
                            print("scheduled", len(runs))
                            return
                        await asyncio.sleep(1)
                    print("none")

            asyncio.run(main())
        ''')
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=200,
                             env={**os.environ, "PREFECT_API_URL": url})
    assert out.stdout.strip().startswith("scheduled"), (out.stdout[-500:], out.stderr[-2000:])


@pytest.mark.prefect
def test_every_served_deployment_names_a_flow_a_child_process_can_load(tmp_path):
    """A served run loads its flow from the deployment's entrypoint in a child process; a flow defined inside
    its builder (`get_monitor_flow.<locals>.monitor_pass`) cannot be loaded, and every pass crashed so."""
    from prefect.flows import load_flow_from_entrypoint

    from mediebild.flows.serve import build_deployments

    deployments = build_deployments(str(tmp_path / "x.duckdb"), every_minutes=1)
    assert {d.name for d in deployments} >= {"mediebild-ingest", "hourly-digest", "retention"}
    for d in deployments:
        assert "<locals>" not in d.entrypoint, d.entrypoint
        assert load_flow_from_entrypoint(d.entrypoint).name == d.flow_name
