"""The face: the `mediebild` command line, on top of everything.

One module per command group (sources, ingest, enrich, stories, digest, models, nlp_eval, demo), each
exposing `register(app)`; `main.py` builds the app from them and turns MediebildError into one clear line
and an exit code at this edge. May import anything of the project; nothing of the project imports it.
"""

from mediebild.cli.main import app, main

__all__ = ["app", "main"]
