"""Lemma lookup tables: spacy-lookups-data's table of a language as a plain dict.

Runtime module (used by nlp and by the NER's CRF features); imports spacy and srsly only when a table is read,
nothing of the project.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def lemma_table(code: str) -> dict[str, str]:
    """The spacy-lookups-data lemma table of a language as a plain dict, or {} when it has none.

    Read straight from the package's (gzipped) JSON, which is several times faster than building spaCy's
    hashed Table from it; the registry entry is the one spaCy itself uses.
    """
    import srsly
    from spacy.util import registry

    try:
        path = Path(registry.lookups.get(code)["lemma_lookup"])
    except (KeyError, ValueError, LookupError, TypeError):
        return {}
    for candidate in (path, path.with_name(path.name + ".gz")):
        if candidate.is_file():
            read = srsly.read_gzip_json if candidate.suffix == ".gz" else srsly.read_json
            table = read(candidate)
            # a few languages' tables give a list of lemmas for some words: keep the first
            return {k: (v[0] if v else k) if isinstance(v, list) else v for k, v in table.items()}
    return {}
