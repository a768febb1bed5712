-- +goose Up
-- A pilot's evaluation as data: a structured result beside the free-text
-- summary. Existing pilots keep their summary untouched and get
-- NOT_YET_EVALUATED: no structured result was ever recorded for them, and
-- guessing one from prose would invent evidence.
ALTER TABLE pilot ADD COLUMN evaluation_result text NOT NULL DEFAULT 'NOT_YET_EVALUATED'
    CHECK (evaluation_result IN ('POSITIVE', 'MIXED', 'NEGATIVE', 'INCONCLUSIVE', 'NOT_YET_EVALUATED'));
-- Spread targets look for innovations with a positive pilot.
CREATE INDEX pilot_positive ON pilot (innovation_id) WHERE evaluation_result = 'POSITIVE' AND archived_at IS NULL;
-- Conversion looks for pilots that ended in a window.
CREATE INDEX pilot_by_end ON pilot (end_date) WHERE end_date IS NOT NULL;

-- +goose Down
DROP INDEX pilot_by_end;
DROP INDEX pilot_positive;
ALTER TABLE pilot DROP COLUMN evaluation_result;
