"""Models: texts in, labels out. What enrichment and the stories step load at run time lives at the top:

language, lemmas, nlp (spaCy pipelines) with entities and ner_crf, relevance, categories (information and
source type), tone, features and crisis_lexicon (shared by the classifier heads), gloss and crosslingual
(Swedish/English bridges), dedup, clustering, spikes and rumours. Trained artefacts and their model cards are
in artifacts/.

Training (models.train) and evaluation (models.eval) are subpackages of their own, with the corpus readers
they share in models.corpora; runtime modules never import them. Models may import the core (mediebild.*),
never the store, flows, reports or the CLI: they know neither DuckDB nor documents.
"""
