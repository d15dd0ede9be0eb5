-- Caloria initial schema (SPEC §14). InnoDB, utf8mb4, times in UTC DATETIME, money in DECIMAL.
-- Applied once by `caloria migrate`; schema_migrations itself is created by the migrator.
-- Every statement is re-runnable (IF NOT EXISTS): MariaDB commits around DDL, so a file that failed half-way
-- is finished by fixing it and running migrate again (schema/README.md).

CREATE TABLE IF NOT EXISTS users (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  subscriber_id       VARCHAR(50)  NOT NULL,
  first_name          VARCHAR(100) NULL,
  last_name           VARCHAR(100) NULL,
  language            CHAR(2)      NOT NULL DEFAULT 'es',
  utc_offset_min      SMALLINT     NOT NULL DEFAULT -180,
  channel             VARCHAR(16)  NULL,
  -- profile (SPEC §6)
  gender              ENUM('male','female','other') NULL,
  age                 TINYINT UNSIGNED NULL,
  weight_kg           DECIMAL(5,1) NULL,
  height_cm           DECIMAL(5,1) NULL,
  activity_level      ENUM('sedentary','lightly_active','moderately_active','very_active','extra_active') NULL,
  goal                ENUM('lose_weight','maintain','gain_weight','build_muscle') NULL,
  target_weight_kg    DECIMAL(5,1) NULL,
  meals_per_day       TINYINT UNSIGNED NULL,
  bmr                 DECIMAL(6,1) NULL,
  daily_calorie_goal  INT NULL,
  protein_target_g    INT NULL,
  carbs_target_g      INT NULL,
  fat_target_g        INT NULL,
  -- quiz progress: 0 = not in the quiz, 1..6 = waiting for that step's answer
  quiz_step           TINYINT UNSIGNED NOT NULL DEFAULT 0,
  quiz_completed      TINYINT(1)   NOT NULL DEFAULT 0,
  quiz_started_at     DATETIME     NULL,
  quiz_completed_at   DATETIME     NULL,
  -- subscription (SPEC §9)
  subscription_status ENUM('none','trial','trial_expired','pending','active','paused','cancelled','payment_failed')
                      NOT NULL DEFAULT 'none',
  trial_ends_at       DATETIME     NULL,
  paid_until          DATETIME     NULL,
  preapproval_id      VARCHAR(64)  NULL,
  created_at          DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  updated_at          DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  last_interaction    DATETIME     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_users_subscriber (subscriber_id),
  KEY ix_users_status (subscription_status),
  KEY ix_users_preapproval (preapproval_id),
  KEY ix_users_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS food_logs (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id         BIGINT UNSIGNED NOT NULL,
  local_date      DATE         NOT NULL,
  logged_at       DATETIME(3)  NOT NULL,
  source          ENUM('text','image','audio') NOT NULL,
  raw_input       VARCHAR(1000) NULL,
  items           JSON         NOT NULL,
  kcal            DECIMAL(8,1) NOT NULL,
  protein_g       DECIMAL(7,1) NOT NULL,
  carbs_g         DECIMAL(7,1) NOT NULL,
  fat_g           DECIMAL(7,1) NOT NULL,
  fiber_g         DECIMAL(7,1) NOT NULL DEFAULT 0,
  sodium_mg       DECIMAL(8,1) NOT NULL DEFAULT 0,
  provider        VARCHAR(32)  NOT NULL DEFAULT 'table',
  confidence      DECIMAL(3,2) NOT NULL DEFAULT 1.00,
  caption         VARCHAR(1000) NULL,          -- text sent with a photo ("comí la mitad")
  analysis_id     BIGINT UNSIGNED NULL,        -- the analyses row this log came from
  PRIMARY KEY (id),
  KEY ix_food_logs_user_date (user_id, local_date, id),
  KEY ix_food_logs_date (local_date, source),
  KEY ix_food_logs_analysis (analysis_id),
  CONSTRAINT fk_food_logs_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS daily_stats (
  user_id         BIGINT UNSIGNED NOT NULL,
  local_date      DATE         NOT NULL,
  total_calories  DECIMAL(8,1) NOT NULL DEFAULT 0,
  total_protein   DECIMAL(7,1) NOT NULL DEFAULT 0,
  total_carbs     DECIMAL(7,1) NOT NULL DEFAULT 0,
  total_fat       DECIMAL(7,1) NOT NULL DEFAULT 0,
  total_fiber     DECIMAL(7,1) NOT NULL DEFAULT 0,
  total_sodium    DECIMAL(8,1) NOT NULL DEFAULT 0,
  meals_logged    INT          NOT NULL DEFAULT 0,
  analyses_count  INT          NOT NULL DEFAULT 0,
  goal_calories   INT          NULL,
  summary_sent_at DATETIME     NULL,
  summary_attempts INT         NOT NULL DEFAULT 0,
  updated_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  PRIMARY KEY (user_id, local_date),
  KEY ix_daily_stats_date (local_date, summary_sent_at),
  CONSTRAINT fk_daily_stats_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS subscriptions (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id         BIGINT UNSIGNED NOT NULL,
  preapproval_id  VARCHAR(64)  NULL,
  status          VARCHAR(32)  NOT NULL,
  amount          DECIMAL(12,2) NOT NULL,
  currency        CHAR(3)      NOT NULL,
  payer_email     VARCHAR(254) NULL,
  init_point      VARCHAR(512) NULL,
  created_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  updated_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  PRIMARY KEY (id),
  UNIQUE KEY uq_subscriptions_preapproval (preapproval_id),
  KEY ix_subscriptions_user (user_id),
  CONSTRAINT fk_subscriptions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS payments (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id         BIGINT UNSIGNED NULL,
  mp_payment_id   VARCHAR(64)  NOT NULL,
  kind            ENUM('payment','authorized_payment') NOT NULL DEFAULT 'payment',
  status          VARCHAR(32)  NOT NULL,
  amount          DECIMAL(12,2) NULL,
  currency        CHAR(3)      NULL,
  paid_at         DATETIME     NULL,
  preapproval_id  VARCHAR(64)  NULL,
  raw             JSON         NULL,
  created_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  updated_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  PRIMARY KEY (id),
  UNIQUE KEY uq_payments_mp (mp_payment_id),
  KEY ix_payments_user (user_id, created_at),
  KEY ix_payments_created (created_at),
  KEY ix_payments_preapproval (preapproval_id),
  CONSTRAINT fk_payments_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS mp_notifications (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  topic           VARCHAR(32)  NOT NULL,
  resource_id     VARCHAR(64)  NOT NULL,
  action          VARCHAR(64)  NOT NULL DEFAULT '',
  status          ENUM('pending','processed','ignored','failed') NOT NULL DEFAULT 'pending',
  attempts        INT          NOT NULL DEFAULT 0,
  last_error      VARCHAR(255) NULL,
  body            JSON         NULL,
  received_at     DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  processed_at    DATETIME     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_mp_notifications (topic, resource_id, action),
  KEY ix_mp_notifications_status (status, received_at),
  KEY ix_mp_notifications_received (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS admin_users (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  username        VARCHAR(64)  NOT NULL,
  password_hash   VARCHAR(255) NOT NULL,
  role            ENUM('admin','viewer') NOT NULL DEFAULT 'viewer',
  created_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  last_login_at   DATETIME     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_admin_users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS admin_sessions (
  id              CHAR(64)     NOT NULL,
  admin_user_id   BIGINT UNSIGNED NOT NULL,
  csrf_token      CHAR(64)     NOT NULL,
  created_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  expires_at      DATETIME     NOT NULL,
  client_ip       VARCHAR(45)  NULL,
  PRIMARY KEY (id),
  KEY ix_admin_sessions_expires (expires_at),
  CONSTRAINT fk_admin_sessions_user FOREIGN KEY (admin_user_id) REFERENCES admin_users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS api_tokens (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name            VARCHAR(64)  NOT NULL,
  token_hash      CHAR(64)     NOT NULL,
  created_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  last_used_at    DATETIME     NULL,
  revoked_at      DATETIME     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_api_tokens_hash (token_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Funnel and audit events: first_message, quiz_started, quiz_completed, first_food_log, subscription_link,
-- payment_approved, status changes, admin actions.
CREATE TABLE IF NOT EXISTS activity_log (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id         BIGINT UNSIGNED NULL,
  admin_user_id   BIGINT UNSIGNED NULL,
  event           VARCHAR(48)  NOT NULL,
  detail          VARCHAR(512) NULL,
  created_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  PRIMARY KEY (id),
  KEY ix_activity_event_time (event, created_at, user_id),
  KEY ix_activity_user (user_id, created_at),
  KEY ix_activity_admin (admin_user_id, created_at),
  -- erasing a user (caloria user delete) erases their events; an admin's audit trail outlives the account
  CONSTRAINT fk_activity_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT fk_activity_admin FOREIGN KEY (admin_user_id) REFERENCES admin_users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One queue for every deferred piece of work (slow analyses, MercadoPago processing, pushes).
CREATE TABLE IF NOT EXISTS jobs (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  kind            VARCHAR(32)  NOT NULL,
  user_id         BIGINT UNSIGNED NULL,
  payload         JSON         NOT NULL,
  state           ENUM('queued','running','done','failed') NOT NULL DEFAULT 'queued',
  attempts        INT          NOT NULL DEFAULT 0,
  max_attempts    INT          NOT NULL DEFAULT 5,
  due_at          DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  locked_by       VARCHAR(64)  NULL,
  locked_at       DATETIME     NULL,
  last_error      VARCHAR(255) NULL,
  created_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  finished_at     DATETIME     NULL,
  PRIMARY KEY (id),
  KEY ix_jobs_state_due (state, due_at),
  KEY ix_jobs_user (user_id),
  KEY ix_jobs_finished (finished_at),
  CONSTRAINT fk_jobs_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every food analysis, logged or not (SPEC §5.4 caloria.analysis.id, §7.3 confirm:<id>/cancel:<id>). A photo
-- below the confidence threshold waits here as 'pending' until the user confirms or cancels it; the food log
-- is written only then. Media are never stored, only a reference without secrets.
CREATE TABLE IF NOT EXISTS analyses (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id         BIGINT UNSIGNED NOT NULL,
  source          ENUM('text','image','audio') NOT NULL,
  status          ENUM('pending','logged','cancelled','unclear','failed') NOT NULL DEFAULT 'pending',
  raw_input       VARCHAR(1000) NULL,
  caption         VARCHAR(1000) NULL,
  transcript      VARCHAR(2000) NULL,
  items           JSON         NULL,
  kcal            DECIMAL(8,1) NULL,
  protein_g       DECIMAL(7,1) NULL,
  carbs_g         DECIMAL(7,1) NULL,
  fat_g           DECIMAL(7,1) NULL,
  fiber_g         DECIMAL(7,1) NULL,
  sodium_mg       DECIMAL(8,1) NULL,
  provider        VARCHAR(32)  NULL,
  confidence      DECIMAL(3,2) NULL,
  food_log_id     BIGINT UNSIGNED NULL,
  created_at      DATETIME(3)  NOT NULL DEFAULT UTC_TIMESTAMP(3),
  updated_at      DATETIME(3)  NOT NULL DEFAULT UTC_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY ix_analyses_user (user_id, created_at),
  KEY ix_analyses_status (status, created_at),
  CONSTRAINT fk_analyses_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed admin logins, for the lockout of SPEC §4.4 (5 per 15 minutes per username and per IP). Kept in the
-- database rather than the shared segment so the lockout holds across hosts (SPEC §15b).
CREATE TABLE IF NOT EXISTS admin_login_failures (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  username        VARCHAR(64)  NOT NULL,
  client_ip       VARCHAR(45)  NOT NULL,
  created_at      DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
  PRIMARY KEY (id),
  KEY ix_admin_login_failures_user (username, created_at),
  KEY ix_admin_login_failures_ip (client_ip, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
