-- Edited after drizzle-kit generate: the old `seen` has no `digest` column, so its rows are copied with digest '' (written before content digests were kept).
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_seen` (
	`network` text NOT NULL,
	`message_id` text NOT NULL,
	`recipient` text NOT NULL,
	`digest` text DEFAULT '' NOT NULL,
	`message_ref` text NOT NULL,
	PRIMARY KEY(`network`, `message_id`, `recipient`, `digest`)
);
--> statement-breakpoint
INSERT INTO `__new_seen`("network", "message_id", "recipient", "digest", "message_ref") SELECT "network", "message_id", "recipient", '', "message_ref" FROM `seen`;--> statement-breakpoint
DROP TABLE `seen`;--> statement-breakpoint
ALTER TABLE `__new_seen` RENAME TO `seen`;--> statement-breakpoint
PRAGMA foreign_keys=ON;