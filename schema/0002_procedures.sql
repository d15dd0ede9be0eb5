-- Stored procedures for the two statements sequences every chat message runs (SPEC §15: "a chat food log
-- should cost little more than its one durable commit"). Each replaces several client round trips with one
-- CALL; the statements inside are the ones the C code ran before, with the same parameters, so behaviour and
-- atomicity are unchanged: they run inside the caller's transaction (neither procedure commits or rolls back).
--
-- The migrator splits files at a ';' that ends a line, so inside the bodies every ';' is followed by the next
-- statement on the same line (schema/README.md). SQL SECURITY INVOKER: the caller's own privileges apply, so
-- the procedures keep working whoever ran the migration. The procedures keep the sql_mode of the session that
-- created them, which is the strict mode every Caloria session uses (src/db.c).

-- cal_user_touch: the upsert of the sender (creates the user or refreshes names, offset, channel and
-- last_interaction; takes the user's row lock), then the user row with today's totals in the user's local
-- date, plus `created` (1 when this call created the user). The upsert comes first on purpose: a locking
-- read of a subscriber that does not exist yet takes a gap lock, and two first messages in the same gap then
-- deadlock on their inserts (seen under bench/run); an upsert's insert-intention locks do not. And the read
-- comes after the lock, so its snapshot already holds what the previous request of this user committed.
CREATE OR REPLACE PROCEDURE cal_user_touch(
  IN p_subscriber VARCHAR(255) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_first_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_last_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_language VARCHAR(8) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_offset INT,
  IN p_channel VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_tz_given INT)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE v_created INT DEFAULT 0
  ; INSERT INTO users (subscriber_id, first_name, last_name, language, utc_offset_min, channel, last_interaction)
    VALUES (p_subscriber, p_first_name, p_last_name, p_language, p_offset, p_channel, UTC_TIMESTAMP())
    ON DUPLICATE KEY UPDATE first_name = COALESCE(VALUES(first_name), first_name),
      last_name = COALESCE(VALUES(last_name), last_name),
      utc_offset_min = IF(p_tz_given, VALUES(utc_offset_min), utc_offset_min),
      channel = COALESCE(VALUES(channel), channel), last_interaction = UTC_TIMESTAMP()
  ; SET v_created = ROW_COUNT() = 1
  ; SELECT u.id, u.subscriber_id, u.first_name, u.language, u.utc_offset_min, u.gender, u.age, u.weight_kg,
      u.height_cm, u.activity_level, u.goal, u.target_weight_kg, u.meals_per_day, u.bmr, u.daily_calorie_goal,
      u.protein_target_g, u.carbs_target_g, u.fat_target_g, u.quiz_step, u.quiz_completed,
      u.subscription_status, DATE_FORMAT(u.trial_ends_at, '%Y-%m-%dT%H:%i:%sZ'),
      DATE_FORMAT(u.paid_until, '%Y-%m-%dT%H:%i:%sZ'),
      DATE_FORMAT(UTC_TIMESTAMP() + INTERVAL u.utc_offset_min MINUTE, '%Y-%m-%d'),
      d.total_calories, d.total_protein, d.total_carbs, d.total_fat, d.total_fiber, d.total_sodium,
      d.meals_logged, d.analyses_count, d.goal_calories, v_created
    FROM users u LEFT JOIN daily_stats d ON d.user_id = u.id
      AND d.local_date = DATE(UTC_TIMESTAMP() + INTERVAL u.utc_offset_min MINUTE)
    WHERE u.subscriber_id = p_subscriber
  ; END;

-- cal_food_log_add: one logged meal. Without p_analysis_id it first stores the meal's analyses row (status
-- 'logged'); with one (a confirmed pending analysis) it uses that row. Then the food_logs row, the link from
-- the analysis to it, the day's totals, and on the day's first log the user's first_food_log event if none
-- exists yet. Answers one row: analysis id, food log id, 1 when the day had no daily_stats row before.
-- The event is a plain INSERT … VALUES after the check, not one INSERT … SELECT from activity_log itself:
-- that form takes InnoDB's table-level AUTO-INC lock, and many users' first logs of a day at once then failed
-- with errno 1467 (seen under bench/run). The caller holds the user's row lock (cal_user_touch), which keeps
-- the check and the insert of one user together.
CREATE OR REPLACE PROCEDURE cal_food_log_add(
  IN p_user_id BIGINT UNSIGNED, IN p_local_date DATE, IN p_goal INT, IN p_analysis_id BIGINT UNSIGNED,
  IN p_count_analysis INT, IN p_source VARCHAR(16) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_raw_input TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_caption TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_transcript TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_items LONGTEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_kcal DOUBLE, IN p_protein DOUBLE, IN p_carbs DOUBLE, IN p_fat DOUBLE, IN p_fiber DOUBLE,
  IN p_sodium DOUBLE, IN p_provider VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_confidence DOUBLE)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE v_analysis BIGINT UNSIGNED DEFAULT p_analysis_id
  ; DECLARE v_log BIGINT UNSIGNED
  ; DECLARE v_first INT DEFAULT 0
  ; IF v_analysis IS NULL THEN
      INSERT INTO analyses (user_id, source, status, raw_input, caption, transcript, items, kcal, protein_g,
        carbs_g, fat_g, fiber_g, sodium_mg, provider, confidence)
      VALUES (p_user_id, p_source, 'logged', p_raw_input, p_caption, p_transcript, p_items, p_kcal, p_protein,
        p_carbs, p_fat, p_fiber, p_sodium, p_provider, p_confidence)
    ; SET v_analysis = LAST_INSERT_ID()
  ; END IF
  ; INSERT INTO food_logs (user_id, local_date, logged_at, source, raw_input, items, kcal, protein_g, carbs_g,
      fat_g, fiber_g, sodium_mg, provider, confidence, caption, analysis_id)
    VALUES (p_user_id, p_local_date, UTC_TIMESTAMP(3), p_source, p_raw_input, p_items, p_kcal, p_protein,
      p_carbs, p_fat, p_fiber, p_sodium, p_provider, p_confidence, p_caption, v_analysis)
  ; SET v_log = LAST_INSERT_ID()
  ; UPDATE analyses SET status = 'logged', food_log_id = v_log, updated_at = UTC_TIMESTAMP(3)
    WHERE id = v_analysis
  ; INSERT INTO daily_stats (user_id, local_date, total_calories, total_protein, total_carbs, total_fat,
      total_fiber, total_sodium, meals_logged, analyses_count, goal_calories)
    VALUES (p_user_id, p_local_date, p_kcal, p_protein, p_carbs, p_fat, p_fiber, p_sodium, 1,
      p_count_analysis, p_goal)
    ON DUPLICATE KEY UPDATE total_calories = total_calories + VALUES(total_calories),
      total_protein = total_protein + VALUES(total_protein), total_carbs = total_carbs + VALUES(total_carbs),
      total_fat = total_fat + VALUES(total_fat), total_fiber = total_fiber + VALUES(total_fiber),
      total_sodium = total_sodium + VALUES(total_sodium), meals_logged = meals_logged + 1,
      analyses_count = analyses_count + VALUES(analyses_count),
      goal_calories = COALESCE(VALUES(goal_calories), goal_calories), updated_at = UTC_TIMESTAMP()
  ; SET v_first = ROW_COUNT() = 1
  ; IF v_first AND NOT EXISTS
      (SELECT 1 FROM activity_log WHERE user_id = p_user_id AND event = 'first_food_log') THEN
      INSERT INTO activity_log (user_id, event) VALUES (p_user_id, 'first_food_log')
  ; END IF
  ; SELECT v_analysis, v_log, v_first
  ; END;

-- cal_user_begin_touch: START TRANSACTION, then cal_user_touch. The first round trip of a ManyChat turn opens
-- the request's transaction and reads the user at once (src/db.c cal_db_begin_query()).
CREATE OR REPLACE PROCEDURE cal_user_begin_touch(
  IN p_subscriber VARCHAR(255) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_first_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_last_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_language VARCHAR(8) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_offset INT,
  IN p_channel VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_tz_given INT)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  START TRANSACTION
  ; CALL cal_user_touch(p_subscriber, p_first_name, p_last_name, p_language, p_offset, p_channel, p_tz_given)
  ; END;
