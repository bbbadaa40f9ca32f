-- 0005: the rumour reasons in English too, so an English digest shows them in English
-- (rumour_reasons stays Swedish; both render the same rumour_codes and their parameters).
ALTER TABLE stories ADD COLUMN rumour_reasons_en VARCHAR[];
