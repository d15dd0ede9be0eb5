-- The quiz's timezone question (SPEC §6.1): a user whose requests carry no `timezone` is asked once for their
-- country, city or UTC offset. timezone_set is 1 once they answered, so the question is never asked again;
-- an offset sent by ManyChat in a request still updates utc_offset_min as before.
ALTER TABLE users ADD COLUMN IF NOT EXISTS timezone_set TINYINT(1) NOT NULL DEFAULT 0 AFTER utc_offset_min;
