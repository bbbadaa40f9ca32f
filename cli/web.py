"""`mediebild web`: the situation room on its own (`mediebild serve` also serves it beside the schedules)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mediebild.cli.common import DbOption, console, err_console, open_store


def register(app: typer.Typer) -> None:
    @app.command("web")
    def web(
        db: DbOption = Path("mediebild.duckdb"),
        host: Annotated[Optional[str], typer.Option("--host", help="Address to bind (default 127.0.0.1, [web] host).")] = None,
        port: Annotated[Optional[int], typer.Option("--port", help="Port (default 8080, [web] port).")] = None,
        behind_tls_proxy: Annotated[Optional[bool], typer.Option(
            "--behind-tls-proxy/--no-tls-proxy",
            help="Served through a TLS-terminating proxy: Secure cookies and HSTS ([web] behind_tls_proxy).")] = None,
    ) -> None:
        """The situation room: a live page of the incident for information officers and analysts.

        Log in with an account made by `mediebild users add`. Reads snapshots of the database, so monitoring
        (`mediebild ingest`, or `mediebild serve` elsewhere) keeps writing while the page is open.

        Examples:

          mediebild users add anna --role editor --org Länsstyrelsen

          mediebild web --db demo-out/mediebild-demo.duckdb

          mediebild web --host 127.0.0.1 --port 8080 --behind-tls-proxy
        """
        from mediebild.data.users import count_users
        from mediebild.flows.serve import WebServer
        from mediebild.settings import load_settings
        from mediebild.web.config import is_loopback, load_web_settings

        settings = load_settings()
        web_settings = load_web_settings(settings.raw, host=host, port=port, behind_tls_proxy=behind_tls_proxy)
        # a clear error for a missing file; migrates an older one; accounts are never published, so they are
        # counted in the file itself (waiting for a writer's gap), not in the snapshot the page reads
        with open_store(db) as store:
            accounts = count_users(store.con)
        server = WebServer(db, web_settings)
        if not accounts:
            err_console.print("[yellow]inga konton ännu: skapa ett med `mediebild users add NAMN --role admin "
                              f"--db {db}`[/]")
        if not is_loopback(web_settings.host) and not web_settings.behind_tls_proxy:
            err_console.print("[yellow]varning: sidan visar personuppgifter och svarar på andra adresser än "
                              "127.0.0.1 utan TLS; lägg den bakom en omvänd proxy med TLS (README)[/]")
        console.print(f"lägesrummet: {server.url}  (Ctrl-C avslutar)")
        server.run()
