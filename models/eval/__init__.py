"""Evaluation: the scores behind `mediebild eval ...` and the model cards, on held-out data.

May import the runtime models and models.corpora; never models.train. Runtime modules and the flows never
import this package.
"""
