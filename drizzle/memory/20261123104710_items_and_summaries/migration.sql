CREATE TABLE `memory_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`user_id` text NOT NULL,
	`agent_id` text,
	`conversation_id` text NOT NULL,
	`kind` text NOT NULL,
	`seq` integer NOT NULL,
	`text` text NOT NULL,
	`metadata_json` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `memory_user_summaries` (
	`user_id` text PRIMARY KEY,
	`text` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `memory_items_conversation_uq` ON `memory_items` (`user_id`,`conversation_id`,`kind`,`seq`);--> statement-breakpoint
CREATE INDEX `memory_items_user_recent_idx` ON `memory_items` (`user_id`,`created_at`);