-- The cross-incident relevance prior of each enriched item (models/relevance_prior.py), computed once at
-- enrichment and combined with the learner's score each time a pass re-scores the item. NULL: not computed
-- (items enriched before the prior shipped, or no prior artefact).
ALTER TABLE relevance_base ADD COLUMN prior DOUBLE;
