"""mediebild: media and social-media monitoring for crisis communication.

Feeds in (editorial, social, official), stories and digests out, everything stored in DuckDB.
The core package holds what every other part may use: the Item record, settings, the incident
profile, errors and time helpers. The core imports none of monitors, models, data, reports or flows.
"""

__version__ = "0.1.0"
