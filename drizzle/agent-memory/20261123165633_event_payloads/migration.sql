-- Each event's payload moves beside its row (plugins/agent-memory/schema.ts eventPayloads): every
-- claim, lease renewal and status change rewrote the whole row, 23 KB of overflow pages for a
-- transcription. Existing payloads are copied before the column goes. No foreign key (see the
-- schema): the event store deletes a payload with its event. Older releases cannot run on the
-- database after this migration (docs/operations.md, "Upgrading").
CREATE TABLE `agent_memory_event_payloads` (
	`event_id` text PRIMARY KEY,
	`payload` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `agent_memory_event_payloads` (`event_id`, `payload`) SELECT `id`, `payload` FROM `agent_memory_events`;
--> statement-breakpoint
ALTER TABLE `agent_memory_events` DROP COLUMN `payload`;