CREATE TABLE `elaoms_leases` (
	`name` text PRIMARY KEY,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL
);
