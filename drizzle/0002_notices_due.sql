ALTER TABLE `messages` ADD `notices_due` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_notices_due_idx` ON `messages` (`notices_due`);