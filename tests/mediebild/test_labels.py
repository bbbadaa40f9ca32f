"""The one label table: every label the models can output has a Swedish and an English name, in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mediebild import labels


def test_every_label_has_a_swedish_and_an_english_name():
    for key in (*labels.INFO_TYPES, *labels.SOURCE_TYPES, *labels.TONES):
        assert labels.NAMES["sv"][key].strip() and labels.NAMES["en"][key].strip(), key
    assert set(labels.NAMES["sv"]) == set(labels.NAMES["en"])
    assert labels.label_name("government", "sv") == "Myndighet" and labels.label_name("negative", "en") == "negative"
    assert labels.label_name("no_such_label") == "no_such_label"


def test_the_models_use_the_table_and_output_only_named_labels():
    """What the shipped heads can predict (their classes), not only what the modules declare, has names."""
    categories = pytest.importorskip("mediebild.models.categories")
    tone = pytest.importorskip("mediebild.models.tone")
    assert categories.INFO_TYPES is labels.INFO_TYPES and categories.SOURCE_TYPES is labels.SOURCE_TYPES
    assert categories.LABELS_SV is labels.LABELS_SV and categories.LABELS_EN is labels.LABELS_EN
    assert tone.TONES is labels.TONES
    from mediebild.errors import ModelError

    try:
        category_model, tone_model = categories.load(), tone.load()
    except ModelError as exc:  # the artefacts are not there (a fresh checkout before training)
        pytest.skip(str(exc))
    for classes in (category_model.info_type.classes, category_model.source_type.classes, tone_model.swedish.classes):
        for key in classes:
            assert key in labels.NAMES["sv"] and key in labels.NAMES["en"], key


def test_the_reports_show_the_same_names():
    from mediebild.reports.texts import label

    for lang in ("sv", "en"):
        for key, name in labels.NAMES[lang].items():
            assert label(key, lang) == name


def test_the_label_table_imports_nothing_of_the_project():
    tree = ast.parse(Path(labels.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("mediebild")], imported
