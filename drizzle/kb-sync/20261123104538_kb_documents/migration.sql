CREATE TABLE `kb_documents` (
	`id` text PRIMARY KEY,
	`name` text NOT NULL,
	`source_type` text NOT NULL,
	`content` text,
	`file_data` blob,
	`file_name` text,
	`file_type` text,
	`size_bytes` integer NOT NULL,
	`content_hash` text NOT NULL,
	`sync_status` text DEFAULT 'pending' NOT NULL,
	`elevenlabs_document_id` text,
	`sync_error_message` text,
	`sync_error_type` text,
	`sync_error_detail` text,
	`last_sync_attempt` integer,
	`sync_retry_count` integer DEFAULT 0 NOT NULL,
	`claim` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `kb_documents_status_idx` ON `kb_documents` (`sync_status`,`created_at`);--> statement-breakpoint
CREATE INDEX `kb_documents_created_idx` ON `kb_documents` (`created_at`);