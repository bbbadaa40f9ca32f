"""`mediebild eval ner|language` and `mediebild train ner`: the Swedish NER and the language identifier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mediebild.cli.common import JsonOption, console, emit_json, eval_app, train_app
from mediebild.errors import UserError


def _ner_table(result: dict) -> Table:
    table = Table("klass", "precision", "recall", "F1", "tokens", title=f"NER, token-nivå: {result['file']}")
    for label, row in result["per_class"].items():
        table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}", str(row["support"]))
    table.add_row("micro", f"{result['micro_precision']:.3f}", f"{result['micro_recall']:.3f}",
                  f"{result['micro_f1']:.3f}", str(result["n_entity_tokens"]), style="bold")
    table.add_row("macro", "", "", f"{result['macro_f1']:.3f}", "")
    table.add_row("weighted", "", "", f"{result['weighted_f1']:.3f}", "")
    return table


def register(app: typer.Typer) -> None:  # noqa: ARG001 - commands go into the shared eval/train groups
    @eval_app.command("ner")
    def eval_ner(
        conll: Annotated[
            Path | None,
            typer.Option("--conll", help="Webbnyheter-format file (token, whitespace, tag; 0 = outside). "
                         "Default: the held-out dev part of ../shared/data's train corpus."),
        ] = None,
        gazetteer: Annotated[bool, typer.Option("--gazetteer/--no-gazetteer",
                                                help="Also run the project's gazetteer ruler.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Token-level micro F1 over PER, ORG, LOC, MISC of the shipped Swedish NER.

        Examples:

          mediebild eval ner --conll ../shared/data/swedish/ner-webbnyheter2012/test_corpus.txt

          mediebild eval ner --json            # the documented dev split, never trained on
        """
        import tempfile

        from mediebild.models.eval.nlp import evaluate_ner_file
        from mediebild.models.corpora.swedish import default_corpus, read_conll, split_corpus

        if conll is None:
            corpus = default_corpus()
            if not corpus.is_file():
                raise UserError(f"no --conll given and the shared corpus is not at {corpus}")
            _, _, dev = split_corpus(read_conll(corpus))
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "dev.conll"
                path.write_text("\n\n".join("\n".join(f"{w}\t{t if t != 'O' else '0'}" for w, t in zip(s.tokens, s.tags))
                                            for s in dev) + "\n", encoding="utf-8")
                result = evaluate_ner_file(path, gazetteer=gazetteer)
            result["file"] = f"{corpus} (dev split)"
        else:
            result = evaluate_ner_file(conll, gazetteer=gazetteer)
        if as_json:
            emit_json(result)
        else:
            console.print(_ner_table(result))
            console.print(f"{result['n']} tokens, {result['n_entity_tokens']} in entities")

    @eval_app.command("language")
    def eval_language(
        shared: Annotated[Path | None, typer.Option("--shared", help="The shared data folder (default ../shared/data).")] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Accuracy of the language identifier on Swedish text, Nordic headlines and CrisisLex tweets.

        Examples:

          mediebild eval language

          mediebild eval language --json
        """
        from mediebild.models.eval.nlp import evaluate_language

        result = evaluate_language(shared)
        if as_json:
            emit_json(result)
            return
        table = Table("mängd", "n", "träffsäkerhet", "vanligaste förväxlingar", title="Språkigenkänning")
        for name, row in result["per_set"].items():
            confusions = ", ".join(f"{k} ({v})" for k, v in row["top_confusions"].items())
            table.add_row(name, str(row["n"]), f"{row['accuracy']:.3f}", confusions)
        console.print(table)
        console.print(result["note"])

    @train_app.command("ner")
    def train_ner_command(
        corpus: Annotated[Path | None, typer.Option("--corpus", help="Webbnyheter train corpus (default from ../shared/data).")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Where to write the model (default: the shipped artefact).")] = None,
        epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the train part.")] = 12,
    ) -> None:
        """Train the Swedish NER on the train part of Webbnyheter 2012 (one core, a few minutes).

        Examples:

          mediebild train ner

          mediebild train ner --out /tmp/ner_sv --epochs 2
        """
        from mediebild.models.train.ner import ARTIFACT_DIR, train_ner
        from mediebild.models.corpora.swedish import default_corpus

        corpus = corpus or default_corpus()
        if not corpus.is_file():
            raise UserError(f"the NER corpus is not at {corpus}")
        report = train_ner(corpus, out or ARTIFACT_DIR, max_epochs=epochs, log=console.print)
        console.print(_ner_table({**report["dev_scores"], "file": "dev split"}))
