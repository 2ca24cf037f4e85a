-- Full-text index of memory_items.text (contentless: the text lives in memory_items only).
-- `owner` holds one token per caller ('u' || hex(user_id) || '0'), so a search intersects the caller's
-- rows inside the index instead of filtering every match of a common word afterwards.
CREATE VIRTUAL TABLE `memory_fts` USING fts5(owner, text, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `memory_items_fts_insert` AFTER INSERT ON `memory_items` BEGIN
  INSERT INTO `memory_fts`(rowid, owner, text) VALUES (new.id, 'u' || lower(hex(new.user_id)) || '0', new.text);
END;
--> statement-breakpoint
CREATE TRIGGER `memory_items_fts_delete` AFTER DELETE ON `memory_items` BEGIN
  DELETE FROM `memory_fts` WHERE rowid = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `memory_items_fts_update` AFTER UPDATE OF `text`, `user_id` ON `memory_items` BEGIN
  DELETE FROM `memory_fts` WHERE rowid = old.id;
  INSERT INTO `memory_fts`(rowid, owner, text) VALUES (new.id, 'u' || lower(hex(new.user_id)) || '0', new.text);
END;
