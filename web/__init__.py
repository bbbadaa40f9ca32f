"""The situation room: a live web page for information officers and analysts, with triage.

app.py builds the ASGI application (Starlette) from the settings (config.py), a way to read and write the
store (mediebild.data.access) and the services the flows hand it (rendering a document, pseudonymising
people as the documents do); auth.py holds passwords (argon2), sessions, CSRF tokens and the login rate
limit; security.py the headers every answer carries (a strict Content-Security-Policy among them); views.py
gathers each page's data through data/ functions; texts.py the Swedish and English words; chart.py the
volume chart as SVG; templates/ (Jinja2, autoescaped) and static/ (one stylesheet, one small script, no
third-party code) ship inside the package.

May import: data/ (all reads and writes), the core, starlette, jinja2, argon2.

Must never: run SQL of its own, import flows, cli, reports, monitors, models or the demo (the flows hand it
what it needs of them), load anything from another origin.
"""
