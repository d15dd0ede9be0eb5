-- A chat food log in one round trip and one commit (SPEC §8, §15).
--
-- Before this migration a text food log took three round trips (CALL cal_user_begin_touch, CALL
-- cal_food_log_add, COMMIT) and stored each text analysis twice: as an `analyses` row and as the food log
-- that pointed back to it. An analysis of a text is complete when it is made, so its food log is its record:
-- `analyses` keeps what it is for, photo and voice analyses waiting for the user's confirmation (§7.3).
--
-- The procedures are split into parts that answer through OUT parameters (cal_user_upsert,
-- cal_food_log_write), so that cal_food_turn can run the whole turn of a food message server-side and send one
-- result row. Same rules as 0002: inner statements start with "; " (schema/README.md), SQL SECURITY INVOKER.

-- cal_user_upsert: creates the sender or refreshes names, offset, channel and last_interaction; takes the
-- user's row lock (see cal_user_touch in 0002 for why the upsert comes before any read). p_created is 1 when
-- this call created the user.
CREATE OR REPLACE PROCEDURE cal_user_upsert(
  IN p_subscriber VARCHAR(255) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_first_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_last_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_language VARCHAR(8) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_offset INT,
  IN p_channel VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_tz_given INT, OUT p_created INT)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  INSERT INTO users (subscriber_id, first_name, last_name, language, utc_offset_min, channel, last_interaction)
    VALUES (p_subscriber, p_first_name, p_last_name, p_language, p_offset, p_channel, UTC_TIMESTAMP())
    ON DUPLICATE KEY UPDATE first_name = COALESCE(VALUES(first_name), first_name),
      last_name = COALESCE(VALUES(last_name), last_name),
      utc_offset_min = IF(p_tz_given, VALUES(utc_offset_min), utc_offset_min),
      channel = COALESCE(VALUES(channel), channel), last_interaction = UTC_TIMESTAMP()
  ; SET p_created = ROW_COUNT() = 1
  ; END;

-- cal_user_row: the row every turn answers with: the user, today's totals in the user's local date, then
-- `created` and, when the turn logged a meal, the food log's id and 1 when it was the day's first log (else
-- NULL and 0). src/services/users.c reads the columns by position.
CREATE OR REPLACE PROCEDURE cal_user_row(
  IN p_subscriber VARCHAR(255) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_created INT,
  IN p_log_id BIGINT UNSIGNED, IN p_first INT)
  READS SQL DATA SQL SECURITY INVOKER
BEGIN
  SELECT u.id, u.subscriber_id, u.first_name, u.language, u.utc_offset_min, u.gender, u.age, u.weight_kg,
      u.height_cm, u.activity_level, u.goal, u.target_weight_kg, u.meals_per_day, u.bmr, u.daily_calorie_goal,
      u.protein_target_g, u.carbs_target_g, u.fat_target_g, u.quiz_step, u.quiz_completed,
      u.subscription_status, DATE_FORMAT(u.trial_ends_at, '%Y-%m-%dT%H:%i:%sZ'),
      DATE_FORMAT(u.paid_until, '%Y-%m-%dT%H:%i:%sZ'),
      DATE_FORMAT(UTC_TIMESTAMP() + INTERVAL u.utc_offset_min MINUTE, '%Y-%m-%d'),
      d.total_calories, d.total_protein, d.total_carbs, d.total_fat, d.total_fiber, d.total_sodium,
      d.meals_logged, d.analyses_count, d.goal_calories, p_created, p_log_id, p_first
    FROM users u LEFT JOIN daily_stats d ON d.user_id = u.id
      AND d.local_date = DATE(UTC_TIMESTAMP() + INTERVAL u.utc_offset_min MINUTE)
    WHERE u.subscriber_id = p_subscriber
  ; END;

-- cal_user_touch and cal_user_begin_touch keep their 0002 meaning (upsert then the user's row, inside the
-- caller's transaction; the second opens it first), now built from the two parts above.
CREATE OR REPLACE PROCEDURE cal_user_touch(
  IN p_subscriber VARCHAR(255) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_first_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_last_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_language VARCHAR(8) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_offset INT,
  IN p_channel VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_tz_given INT)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE v_created INT DEFAULT 0
  ; CALL cal_user_upsert(p_subscriber, p_first_name, p_last_name, p_language, p_offset, p_channel, p_tz_given,
      v_created)
  ; CALL cal_user_row(p_subscriber, v_created, NULL, 0)
  ; END;

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

-- cal_food_log_write: the writes of one logged meal inside the caller's transaction: the food_logs row, the
-- link from its analyses row when it came from one (p_analysis_id: a confirmed photo or voice analysis), the
-- day's totals and, on the day's first log, the user's first_food_log event unless it exists. The caller holds
-- the user's row lock, which keeps that check and its insert together (see 0002 on why the event is a plain
-- INSERT … VALUES).
CREATE OR REPLACE PROCEDURE cal_food_log_write(
  IN p_user_id BIGINT UNSIGNED, IN p_local_date DATE, IN p_goal INT, IN p_analysis_id BIGINT UNSIGNED,
  IN p_count_analysis INT, IN p_source VARCHAR(16) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_raw_input TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_caption TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_items LONGTEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_kcal DOUBLE, IN p_protein DOUBLE, IN p_carbs DOUBLE, IN p_fat DOUBLE, IN p_fiber DOUBLE,
  IN p_sodium DOUBLE, IN p_provider VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_confidence DOUBLE,
  OUT p_log_id BIGINT UNSIGNED, OUT p_first INT)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  INSERT INTO food_logs (user_id, local_date, logged_at, source, raw_input, items, kcal, protein_g, carbs_g,
      fat_g, fiber_g, sodium_mg, provider, confidence, caption, analysis_id)
    VALUES (p_user_id, p_local_date, UTC_TIMESTAMP(3), p_source, p_raw_input, p_items, p_kcal, p_protein,
      p_carbs, p_fat, p_fiber, p_sodium, p_provider, p_confidence, p_caption, p_analysis_id)
  ; SET p_log_id = LAST_INSERT_ID()
  ; IF p_analysis_id IS NOT NULL THEN
      UPDATE analyses SET status = 'logged', food_log_id = p_log_id, updated_at = UTC_TIMESTAMP(3)
      WHERE id = p_analysis_id
  ; END IF
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
  ; SET p_first = ROW_COUNT() = 1
  ; IF p_first AND NOT EXISTS
      (SELECT 1 FROM activity_log WHERE user_id = p_user_id AND event = 'first_food_log') THEN
      INSERT INTO activity_log (user_id, event) VALUES (p_user_id, 'first_food_log')
  ; END IF
  ; END;

-- cal_food_log_add: cal_food_log_write for a caller that already holds the user (a confirmed analysis, or a
-- text logged on the ordinary path); answers analysis id (NULL for a text), food log id, first of the day.
-- p_transcript stays in the signature for the voice path, which stores it with its analyses row.
CREATE OR REPLACE PROCEDURE cal_food_log_add(
  IN p_user_id BIGINT UNSIGNED, IN p_local_date DATE, IN p_goal INT, IN p_analysis_id BIGINT UNSIGNED,
  IN p_count_analysis INT, IN p_source VARCHAR(16) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_raw_input TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_caption TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_transcript TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_items LONGTEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_kcal DOUBLE, IN p_protein DOUBLE, IN p_carbs DOUBLE, IN p_fat DOUBLE, IN p_fiber DOUBLE,
  IN p_sodium DOUBLE, IN p_provider VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_confidence DOUBLE)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE v_log BIGINT UNSIGNED
  ; DECLARE v_first INT DEFAULT 0
  ; CALL cal_food_log_write(p_user_id, p_local_date, p_goal, p_analysis_id, p_count_analysis, p_source,
      p_raw_input, p_caption, p_items, p_kcal, p_protein, p_carbs, p_fat, p_fiber, p_sodium, p_provider,
      p_confidence, v_log, v_first)
  ; SELECT p_analysis_id, v_log, v_first
  ; END;

-- cal_food_turn: the whole turn of a chat message whose text the worker has already analysed as food. It
-- opens the transaction, upserts the sender, and when the user is one whose text is a meal (profile complete,
-- no quiz in progress: the rule of src/handlers/manychat.c dispatch(), which stays the authority) logs it
-- for the user's local date and goal, and commits. Either way it answers cal_user_row; a NULL food log id
-- means nothing was logged and the transaction is still open, so the worker goes on with the ordinary turn
-- (quiz answer, quiz start) on the row it got. A future gate on analyses (§9.4) must be added to the
-- condition here as well as in the handler.
CREATE OR REPLACE PROCEDURE cal_food_turn(
  IN p_subscriber VARCHAR(255) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_first_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_last_name TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_language VARCHAR(8) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_offset INT,
  IN p_channel VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_tz_given INT,
  IN p_source VARCHAR(16) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_raw_input TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_items LONGTEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_kcal DOUBLE, IN p_protein DOUBLE, IN p_carbs DOUBLE, IN p_fat DOUBLE, IN p_fiber DOUBLE,
  IN p_sodium DOUBLE, IN p_provider VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_confidence DOUBLE)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE v_created INT DEFAULT 0
  ; DECLARE v_user BIGINT UNSIGNED
  ; DECLARE v_done INT
  ; DECLARE v_step INT
  ; DECLARE v_goal INT
  ; DECLARE v_date DATE
  ; DECLARE v_log BIGINT UNSIGNED
  ; DECLARE v_first INT DEFAULT 0
  ; START TRANSACTION
  ; CALL cal_user_upsert(p_subscriber, p_first_name, p_last_name, p_language, p_offset, p_channel, p_tz_given,
      v_created)
  ; SELECT id, quiz_completed, quiz_step, NULLIF(daily_calorie_goal, 0),
      DATE(UTC_TIMESTAMP() + INTERVAL utc_offset_min MINUTE)
    INTO v_user, v_done, v_step, v_goal, v_date FROM users WHERE subscriber_id = p_subscriber
  ; IF v_done = 1 AND NOT (v_step BETWEEN 1 AND 6) THEN
      CALL cal_food_log_write(v_user, v_date, v_goal, NULL, 1, p_source, p_raw_input, NULL, p_items, p_kcal,
        p_protein, p_carbs, p_fat, p_fiber, p_sodium, p_provider, p_confidence, v_log, v_first)
  ; COMMIT
  ; END IF
  ; CALL cal_user_row(p_subscriber, v_created, v_log, v_first)
  ; END;
