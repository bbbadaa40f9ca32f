"""Training: what reproduces the shipped artefacts in models/artifacts (`mediebild train ...`).

May import the runtime models, models.corpora and models.eval (to score what it trains); runtime modules and
the flows never import this package.
"""
