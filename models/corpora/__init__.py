"""Corpus readers: every third-party and project-written data set that training and evaluation read.

CrisisLex (crisislex), the Swedish NER and sentiment corpora (swedish), WikiRef news clusters (wikiref), and
the project's own labelled CSV sets (labelled). Third-party data is read in place from ../shared/data (or
$MEDIEBILD_SHARED_DATA), never copied. Used by models.train and models.eval only: runtime modules never
import this package. Imports the core and the standard library, nothing else of the project.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """`../shared/data` beside the repository, or $MEDIEBILD_SHARED_DATA."""
    env = os.environ.get("MEDIEBILD_SHARED_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data")
