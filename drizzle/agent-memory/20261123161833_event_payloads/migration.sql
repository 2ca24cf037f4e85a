-- Each event's payload moves beside its row (plugins/agent-memory/schema.ts eventPayloads): every
-- claim, lease renewal and status change rewrote the whole row, 23 KB of overflow pages for a
-- transcription. Existing payloads are copied before the column goes.
CREATE TABLE `agent_memory_event_payloads` (
	`event_id` text PRIMARY KEY,
	`payload` text NOT NULL,
	CONSTRAINT `fk_agent_memory_event_payloads_event_id_agent_memory_events_id_fk` FOREIGN KEY (`event_id`) REFERENCES `agent_memory_events`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
INSERT INTO `agent_memory_event_payloads` (`event_id`, `payload`) SELECT `id`, `payload` FROM `agent_memory_events`;
--> statement-breakpoint
ALTER TABLE `agent_memory_events` DROP COLUMN `payload`;