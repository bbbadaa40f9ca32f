"""CLI command groups. Each module here exposes `register(app: typer.Typer)`; cli.py finds them all."""
