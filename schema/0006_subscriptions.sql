-- Subscriptions (SPEC §9): the gate of §9.4 inside the one-round-trip food turn.
--
-- cal_food_turn (0003) logs a meal whenever the user has a profile and no quiz in progress. From here on it
-- also asks the subscription gate: an unexpired trial, or an active or cancelled subscription before
-- paid_until, logs without limit; anyone else logs while the day's analyses_count is below p_free
-- (subscription.free_daily_analyses). When the gate says no, nothing is logged and the transaction stays open,
-- exactly as for a user in the quiz: the worker goes on with the ordinary turn, whose own gate
-- (src/billing/billing_state.c, the same rule) answers limit_reached. Same conventions as 0002/0003.
--
-- The tables of §9 (subscriptions, payments, mp_notifications, activity_log, jobs) are in 0001 already.

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
  ; DECLARE v_done INT
  ; DECLARE v_step INT
  ; DECLARE v_goal INT
  ; DECLARE v_date DATE
  ; DECLARE v_entitled INT DEFAULT 0
  ; DECLARE v_count INT DEFAULT 0
  ; DECLARE v_log BIGINT UNSIGNED
  ; DECLARE v_first INT DEFAULT 0
  ; START TRANSACTION
  ; CALL cal_user_upsert(p_subscriber, p_first_name, p_last_name, p_language, p_offset, p_channel, p_tz_given,
      v_created)
  ; SELECT id, quiz_completed, quiz_step, NULLIF(daily_calorie_goal, 0),
      DATE(UTC_TIMESTAMP() + INTERVAL utc_offset_min MINUTE),
      COALESCE((subscription_status = 'trial' AND trial_ends_at > UTC_TIMESTAMP())
        OR (subscription_status IN ('active', 'cancelled') AND paid_until > UTC_TIMESTAMP()), 0)
    INTO v_user, v_done, v_step, v_goal, v_date, v_entitled FROM users WHERE subscriber_id = p_subscriber
  ; IF v_entitled = 0 THEN
      SELECT COALESCE(MAX(analyses_count), 0) INTO v_count FROM daily_stats
      WHERE user_id = v_user AND local_date = v_date
  ; END IF
  ; IF v_done = 1 AND NOT (v_step BETWEEN 1 AND 6) AND (v_entitled = 1 OR v_count < p_free) THEN
      CALL cal_food_log_write(v_user, v_date, v_goal, NULL, 1, p_source, p_raw_input, NULL, p_items, p_kcal,
        p_protein, p_carbs, p_fat, p_fiber, p_sodium, p_provider, p_confidence, v_log, v_first)
  ; COMMIT
  ; END IF
  ; CALL cal_user_row(p_subscriber, v_created, v_log, v_first)
  ; END;
