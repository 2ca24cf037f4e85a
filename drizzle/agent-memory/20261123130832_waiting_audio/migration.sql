CREATE TABLE `agent_memory_audio` (
	`conversation_id` text PRIMARY KEY,
	`agent_id` text,
	`request_id` text,
	`audio` text NOT NULL,
	`received_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
