"""flows.lazy_flow: every flow module builds its Prefect objects once, on first use, and not at import."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from mediebild.flows import lazy_flow


def test_the_builder_runs_once_and_every_call_gets_its_object():
    calls = []

    @lazy_flow
    def get_thing():
        """A thing."""
        calls.append(1)
        time.sleep(0.05)  # long enough for the threads below to meet in the builder
        return object()

    found = []
    threads = [threading.Thread(target=lambda: found.append(get_thing())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(x) for x in found}) == 1 and get_thing() is found[0]
    assert get_thing.__doc__ == "A thing." and get_thing.__name__ == "get_thing"


def test_importing_the_flow_modules_does_not_import_prefect():
    code = (
        "import sys\n"
        "import mediebild.flows.ingest, mediebild.flows.enrich, mediebild.flows.stories, mediebild.flows.digest\n"
        "import mediebild.flows.monitor, mediebild.flows.serve, mediebild.flows.demo\n"
        "print(sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
