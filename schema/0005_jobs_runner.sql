-- The job runner (SPEC §7.5): claims with a lease, millisecond due times for back-off, and an optional
-- key that makes enqueueing idempotent (one job per MercadoPago notification, say).
ALTER TABLE jobs MODIFY COLUMN due_at DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3);
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS unique_key VARCHAR(100) NULL AFTER kind;
-- A claimed job belongs to its runner (locked_by) until lease_until; the runner extends the lease while it
-- works, and any runner may take back a job whose lease ran out. claim_seq tells one claim's rows apart.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lease_until DATETIME(3) NULL AFTER locked_at;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS claim_seq BIGINT UNSIGNED NULL AFTER lease_until;
CREATE UNIQUE INDEX IF NOT EXISTS uq_jobs_unique_key ON jobs (unique_key);
CREATE INDEX IF NOT EXISTS ix_jobs_lease ON jobs (state, lease_until);
CREATE INDEX IF NOT EXISTS ix_jobs_locked ON jobs (locked_by, claim_seq);
-- Image analyses remember the SHA-256 of the photo (never the photo), for operators and duplicate checks.
ALTER TABLE analyses ADD COLUMN IF NOT EXISTS media_sha256 CHAR(64) NULL AFTER transcript;
