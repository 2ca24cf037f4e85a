CREATE TABLE `agent_memory_callers` (
	`user_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`name` text,
	`summary` text NOT NULL,
	`greeting` text NOT NULL,
	`conversations` integer NOT NULL,
	`last_conversation_id` text NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT `agent_memory_callers_pk` PRIMARY KEY(`user_id`, `agent_id`)
);
--> statement-breakpoint
CREATE TABLE `agent_memory_events` (
	`id` text PRIMARY KEY,
	`dedup_key` text NOT NULL UNIQUE,
	`type` text NOT NULL,
	`conversation_id` text NOT NULL,
	`user_id` text NOT NULL,
	`user_id_source` text NOT NULL,
	`agent_id` text,
	`event_timestamp` integer,
	`received_at` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_owner` text,
	`lease_expires_at` integer,
	`last_error` text,
	`memory_id` text,
	`delivered_at` integer,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `agent_memory_profiles` (
	`agent_id` text PRIMARY KEY,
	`profile` text NOT NULL,
	`fetched_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `agent_memory_events_due` ON `agent_memory_events` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `agent_memory_events_user` ON `agent_memory_events` (`user_id`);