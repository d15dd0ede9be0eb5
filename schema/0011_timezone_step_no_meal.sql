-- A meal never answers the quiz's timezone question (SPEC §6.1).
--
-- cal_food_turn logs a meal only for a user with no quiz in progress, and took "in progress" to be steps 1-6.
-- The 7th step, the timezone question, is also a quiz step: a user who retakes the quiz keeps
-- quiz_completed = 1, and at that question an answer that reads as food ("pollo") was logged as a meal
-- instead of repeating the question. The procedure is 0010's with the quiz steps 1-7, as the webhook counts
-- them (CAL_QUIZ_LAST_STEP).
--
-- Same rules as 0002 and 0003: inner statements start with "; ", SQL SECURITY INVOKER, no comments inside
-- the body.

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
  IN p_sodium DOUBLE, IN p_provider VARCHAR(64) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci, IN p_confidence DOUBLE,
  IN p_free INT)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE v_created INT DEFAULT 0
  ; DECLARE v_user BIGINT UNSIGNED
  ; DECLARE v_done INT DEFAULT NULL
  ; DECLARE v_step INT
  ; DECLARE v_goal INT
  ; DECLARE v_date DATE
  ; DECLARE v_stale INT DEFAULT 0
  ; DECLARE v_entitled INT DEFAULT 0
  ; DECLARE v_count INT DEFAULT 0
  ; DECLARE v_log BIGINT UNSIGNED
  ; DECLARE v_first INT DEFAULT 0
  ; SET v_user = (SELECT id FROM users WHERE subscriber_id = p_subscriber)
  ; START TRANSACTION
  ; IF v_user IS NOT NULL THEN
      SELECT quiz_completed, quiz_step, NULLIF(daily_calorie_goal, 0),
          DATE(UTC_TIMESTAMP() + INTERVAL IF(p_tz_given, p_offset, utc_offset_min) MINUTE),
          COALESCE((subscription_status = 'trial' AND trial_ends_at > UTC_TIMESTAMP())
            OR (subscription_status IN ('active', 'cancelled') AND paid_until > UTC_TIMESTAMP()), 0),
          COALESCE(last_interaction IS NULL OR last_interaction < UTC_TIMESTAMP() - INTERVAL 60 SECOND
            OR NOT (BINARY first_name <=> BINARY COALESCE(p_first_name, first_name))
            OR NOT (BINARY last_name <=> BINARY COALESCE(p_last_name, last_name))
            OR NOT (BINARY channel <=> BINARY COALESCE(p_channel, channel))
            OR (p_tz_given AND utc_offset_min <> p_offset), 1)
        INTO v_done, v_step, v_goal, v_date, v_entitled, v_stale FROM users WHERE id = v_user FOR UPDATE
  ; END IF
  ; IF v_done IS NULL THEN
      CALL cal_user_claim(v_user, p_subscriber, p_first_name, p_last_name, p_language, p_offset, p_channel,
        p_tz_given, v_created)
  ; SELECT quiz_completed, quiz_step, NULLIF(daily_calorie_goal, 0),
        DATE(UTC_TIMESTAMP() + INTERVAL utc_offset_min MINUTE),
          COALESCE((subscription_status = 'trial' AND trial_ends_at > UTC_TIMESTAMP())
            OR (subscription_status IN ('active', 'cancelled') AND paid_until > UTC_TIMESTAMP()), 0)
      INTO v_done, v_step, v_goal, v_date, v_entitled FROM users WHERE id = v_user
  ; ELSEIF v_stale THEN
      UPDATE users SET last_interaction = UTC_TIMESTAMP(), first_name = COALESCE(p_first_name, first_name),
          last_name = COALESCE(p_last_name, last_name),
          utc_offset_min = IF(p_tz_given, p_offset, utc_offset_min), channel = COALESCE(p_channel, channel)
        WHERE id = v_user
  ; END IF
  ; IF v_entitled = 0 AND v_done = 1 THEN
      SELECT COALESCE(MAX(analyses_count), 0) INTO v_count FROM daily_stats
      WHERE user_id = v_user AND local_date = v_date
  ; END IF
  ; IF v_done = 1 AND NOT (v_step BETWEEN 1 AND 7) AND (v_entitled = 1 OR v_count < p_free) THEN
      INSERT INTO food_logs (user_id, local_date, logged_at, source, raw_input, items, kcal, protein_g, carbs_g,
          fat_g, fiber_g, sodium_mg, provider, confidence)
        VALUES (v_user, v_date, UTC_TIMESTAMP(3), p_source, p_raw_input, p_items, p_kcal, p_protein, p_carbs,
          p_fat, p_fiber, p_sodium, p_provider, p_confidence)
  ; SET v_log = LAST_INSERT_ID()
  ; INSERT INTO daily_stats (user_id, local_date, total_calories, total_protein, total_carbs, total_fat,
        total_fiber, total_sodium, meals_logged, analyses_count, goal_calories)
      VALUES (v_user, v_date, p_kcal, p_protein, p_carbs, p_fat, p_fiber, p_sodium, 1, 1, v_goal)
      ON DUPLICATE KEY UPDATE total_calories = total_calories + VALUES(total_calories),
        total_protein = total_protein + VALUES(total_protein), total_carbs = total_carbs + VALUES(total_carbs),
        total_fat = total_fat + VALUES(total_fat), total_fiber = total_fiber + VALUES(total_fiber),
        total_sodium = total_sodium + VALUES(total_sodium), meals_logged = meals_logged + 1,
        analyses_count = analyses_count + 1,
        goal_calories = COALESCE(VALUES(goal_calories), goal_calories), updated_at = UTC_TIMESTAMP()
  ; SET v_first = ROW_COUNT() = 1
  ; IF v_first AND NOT EXISTS
        (SELECT 1 FROM activity_log WHERE user_id = v_user AND event = 'first_food_log') THEN
      INSERT INTO activity_log (user_id, event) VALUES (v_user, 'first_food_log')
  ; END IF
  ; COMMIT
  ; END IF
  ; SELECT u.id, u.subscriber_id, u.first_name, u.language, u.utc_offset_min, u.gender, u.age, u.weight_kg,
      u.height_cm, u.activity_level, u.goal, u.target_weight_kg, u.meals_per_day, u.bmr, u.daily_calorie_goal,
      u.protein_target_g, u.carbs_target_g, u.fat_target_g, u.quiz_step, u.quiz_completed,
      u.subscription_status, DATE_FORMAT(u.trial_ends_at, '%Y-%m-%dT%H:%i:%sZ'),
      DATE_FORMAT(u.paid_until, '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(v_date, '%Y-%m-%d'),
      d.total_calories, d.total_protein, d.total_carbs, d.total_fat, d.total_fiber, d.total_sodium,
      d.meals_logged, d.analyses_count, d.goal_calories, v_created, v_log, v_first
    FROM users u LEFT JOIN daily_stats d ON d.user_id = u.id AND d.local_date = v_date
    WHERE u.id = v_user
  ; END;
