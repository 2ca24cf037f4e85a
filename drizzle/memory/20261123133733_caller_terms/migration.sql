-- Full-text index of memory_items by caller: every token is the caller's key (a hash of user_id)
-- followed by a folded, Porter-stemmed word, so a word's doclist holds that caller's rows only and a
-- search costs the same with 1k or 1M memories of other callers. The terms are computed in JS
-- (plugins/memory/rank.ts), so the backend writes this table itself; rows it has not written yet
-- (memory_fts's rows before this migration, rows inserted by hand) are indexed when a backend is created.
-- Only which rows hold a term is stored (detail=none, each term once per row): the ranking counts
-- words in JS. The ascii tokenizer never splits a term (they hold only letters and digits).
CREATE VIRTUAL TABLE `memory_terms` USING fts5(terms, content='', contentless_delete=1, tokenize='ascii', detail=none);
--> statement-breakpoint
-- Each query term probes every segment of the index: the backend merges them in the background
-- (plugins/memory/embedded.ts mergeIndex), two segments of a level are enough to merge.
INSERT INTO `memory_terms` (`memory_terms`, `rank`) VALUES ('usermerge', 2);
--> statement-breakpoint
CREATE TRIGGER `memory_items_terms_delete` AFTER DELETE ON `memory_items` BEGIN
  DELETE FROM `memory_terms` WHERE rowid = old.id;
END;
--> statement-breakpoint
-- Every row with id <= indexed_through is in memory_terms (or was deleted).
CREATE TABLE `memory_terms_state` (
  `id` integer PRIMARY KEY CHECK (`id` = 1),
  `indexed_through` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `memory_terms_state` (`id`, `indexed_through`) VALUES (1, 0);
--> statement-breakpoint
DROP TRIGGER `memory_items_fts_insert`;
--> statement-breakpoint
DROP TRIGGER `memory_items_fts_delete`;
--> statement-breakpoint
DROP TRIGGER `memory_items_fts_update`;
--> statement-breakpoint
DROP TABLE `memory_fts`;
