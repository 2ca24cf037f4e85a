CREATE TABLE `storage_files` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`path` text NOT NULL UNIQUE,
	`type` text NOT NULL,
	`conversation_id` text,
	`caller_phone` text,
	`agent_id` text,
	`dir` text NOT NULL,
	`request_id` text,
	`size` integer NOT NULL,
	`plain_size` integer NOT NULL,
	`sha256` text NOT NULL,
	`encrypted` integer NOT NULL,
	`validated` integer NOT NULL,
	`quarantined` integer DEFAULT false NOT NULL,
	`status` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `storage_sweeps` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`started_at` integer NOT NULL,
	`files_deleted` integer NOT NULL,
	`bytes_freed` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `storage_files_created_idx` ON `storage_files` (`quarantined`,`created_at`);--> statement-breakpoint
CREATE INDEX `storage_files_conversation_idx` ON `storage_files` (`conversation_id`);--> statement-breakpoint
CREATE INDEX `storage_files_caller_idx` ON `storage_files` (`caller_phone`);