-- What search ranking counts, written with each row (plugins/memory/rank.ts termStats): each
-- distinct folded, stemmed word with its count, and the number of words. Rows of a database from
-- before are counted when a backend is created, through the partial index of rows still null.
ALTER TABLE `memory_items` ADD `term_counts` text;--> statement-breakpoint
ALTER TABLE `memory_items` ADD `word_count` integer;--> statement-breakpoint
CREATE INDEX `memory_items_uncounted_idx` ON `memory_items` (`id`) WHERE "memory_items"."term_counts" IS NULL;