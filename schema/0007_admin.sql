-- Admin panel and JSON API (SPEC §10): API tokens get a role like admin users, so a token handed to a
-- reporting tool can be read-only (a viewer never sees full subscriber ids). Tokens created before this
-- migration keep the full access they had.
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS role ENUM('admin','viewer') NOT NULL DEFAULT 'admin' AFTER token_hash;

-- Dashboard figures: trials by start (trial_ends_at) and quiz completions by day.
CREATE INDEX IF NOT EXISTS ix_users_trial ON users (trial_ends_at);
CREATE INDEX IF NOT EXISTS ix_users_quiz_completed ON users (quiz_completed_at);
-- caloria cleanup deletes old failed logins by age.
CREATE INDEX IF NOT EXISTS ix_admin_login_failures_time ON admin_login_failures (created_at);
