"""The documents people read and send: the hourly media digest and the conference brief.

digest.py and brief.py gather one plain dict from the store (through mediebild.data.digest_queries);
render.py turns it into HTML, Markdown, PDF and JSON with autoescaping Jinja2 templates (templates/);
charts.py draws the inline SVG volume chart; texts.py holds the Swedish and English words; send.py
delivers stored documents to a folder, by e-mail and by webhook. flows/digest.py wires them together.
"""
