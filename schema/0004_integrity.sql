-- Subscriber ids are compared exactly (SPEC §14): ManyChat ids are opaque tokens, so `AbC` and `abc` are two
-- subscribers, as the rate limiter and the cache already treated them. Under the table's case-insensitive
-- collation they were one user, and the unique key refused the second. The stored procedures keep their
-- utf8mb4_unicode_ci parameters: a comparison with the column takes the column's binary collation.
ALTER TABLE users MODIFY subscriber_id VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- A day's totals are sums of bounded meals (src/services/foodlog.c refuses a meal beyond 10,000 kcal or an
-- item beyond 3 kg), but a day may hold many of them: the totals get room for 10^8, so only a sustained flood
-- reaches the limit, and then strict mode refuses the write (answered as a validation error, never a 500).
ALTER TABLE daily_stats
  MODIFY total_calories DECIMAL(10,1) NOT NULL DEFAULT 0,
  MODIFY total_protein  DECIMAL(10,1) NOT NULL DEFAULT 0,
  MODIFY total_carbs    DECIMAL(10,1) NOT NULL DEFAULT 0,
  MODIFY total_fat      DECIMAL(10,1) NOT NULL DEFAULT 0,
  MODIFY total_fiber    DECIMAL(10,1) NOT NULL DEFAULT 0,
  MODIFY total_sodium   DECIMAL(11,1) NOT NULL DEFAULT 0;
