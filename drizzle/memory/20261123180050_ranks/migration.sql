-- What search ranking reads of each row (plugins/memory/rank.ts termStats), kept together per caller:
-- a WITHOUT ROWID table is stored in its primary key's order, so one caller's rows share a few pages.
-- In memory_items they were scattered among every other caller's rows, and a search at 100k memories
-- read about a hundred pages for the caller's hundred matches (docs/performance.md, item 22).
CREATE TABLE `memory_ranks` (
	`user_id` text NOT NULL,
	`id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`word_count` integer NOT NULL,
	`term_counts` text NOT NULL,
	PRIMARY KEY (`user_id`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `memory_ranks` (`user_id`, `id`, `created_at`, `word_count`, `term_counts`)
  SELECT `user_id`, `id`, `created_at`, `word_count`, `term_counts` FROM `memory_items`
   WHERE `term_counts` IS NOT NULL AND `word_count` IS NOT NULL ORDER BY `user_id`, `id`;
--> statement-breakpoint
-- memory_items.word_count now says whether the row has its memory_ranks row: null until counted.
UPDATE `memory_items` SET `word_count` = NULL WHERE `term_counts` IS NULL;
--> statement-breakpoint
DROP INDEX `memory_items_uncounted_idx`;
--> statement-breakpoint
ALTER TABLE `memory_items` DROP COLUMN `term_counts`;
--> statement-breakpoint
CREATE INDEX `memory_items_uncounted_idx` ON `memory_items` (`id`) WHERE "memory_items"."word_count" IS NULL;
--> statement-breakpoint
-- No foreign key: a later migration that rebuilds memory_items would cascade into this table. A
-- dropped table fires no triggers, so these only follow real deletes and updates (erasure, by hand).
CREATE TRIGGER `memory_items_ranks_delete` AFTER DELETE ON `memory_items` BEGIN
  DELETE FROM `memory_ranks` WHERE `user_id` = old.`user_id` AND `id` = old.`id`;
END;
--> statement-breakpoint
-- A row changed by hand (a caller's memories moved to a new number, a text corrected): its ranks row
-- and index terms go, and the index's mark moves back below it, so the backend indexes and counts it
-- again in its background rounds (or at the next start). Until then a search does not find it.
CREATE TRIGGER `memory_items_ranks_update` AFTER UPDATE OF `id`, `user_id`, `text` ON `memory_items`
WHEN old.`id` IS NOT new.`id` OR old.`user_id` IS NOT new.`user_id` OR old.`text` IS NOT new.`text` BEGIN
  DELETE FROM `memory_ranks` WHERE `user_id` = old.`user_id` AND `id` = old.`id`;
  UPDATE `memory_items` SET `word_count` = NULL WHERE `id` = new.`id`;
  DELETE FROM `memory_terms` WHERE rowid = old.`id`;
  UPDATE `memory_terms_state` SET `indexed_through` = new.`id` - 1 WHERE `id` = 1 AND `indexed_through` >= new.`id`;
END;
--> statement-breakpoint
-- A new time only changes the recency ranking reads: the row stays indexed and counted.
CREATE TRIGGER `memory_items_ranks_time` AFTER UPDATE OF `created_at` ON `memory_items`
WHEN old.`created_at` IS NOT new.`created_at` BEGIN
  UPDATE `memory_ranks` SET `created_at` = new.`created_at` WHERE `user_id` = new.`user_id` AND `id` = new.`id`;
END;
