"""The reports layer: the documents people read and send, the hourly media digest and the conference brief.

digest.py and brief.py gather one plain dict from the store through data/ (data.digest_queries,
data.item_filter); render.py turns it into HTML, Markdown, PDF and JSON with autoescaping Jinja2 templates
(templates/); charts.py draws the inline SVG volume chart; texts.py holds the Swedish and English words;
send.py delivers stored documents to a folder, by e-mail and by webhook. flows/digest.py wires them together.

May import: data/ (its functions, never its tables directly), the core (mediebild.errors, items, labels,
settings, timeutil), and its own modules.

Must never: run SQL of its own (reads and the sends rows go through data/); import models (label names come
from mediebild.labels), monitors, flows or cli; trust feed text (every template escapes it).
"""
