CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_ref` text NOT NULL,
	`recipient` text NOT NULL,
	`target_network` text,
	`target_address` text,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_until` integer,
	`last_error` text,
	`uncertain` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_message_recipient_idx` ON `deliveries` (`message_ref`,`recipient`);--> statement-breakpoint
CREATE INDEX `deliveries_due_idx` ON `deliveries` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_ref` text NOT NULL,
	`at` integer NOT NULL,
	`stage` text NOT NULL,
	`level` text NOT NULL,
	`detail` text NOT NULL,
	`recipient` text
);
--> statement-breakpoint
CREATE INDEX `events_message_idx` ON `events` (`message_ref`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`mail_from` text NOT NULL,
	`message_id` text,
	`received_at` integer NOT NULL,
	`size` integer NOT NULL,
	`state` text NOT NULL,
	`stage` text,
	`reason` text,
	`remote` text,
	`related_id` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `messages_state_idx` ON `messages` (`state`);--> statement-breakpoint
CREATE TABLE `raw_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`bytes` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `seen` (
	`network` text NOT NULL,
	`message_id` text NOT NULL,
	`recipient` text NOT NULL,
	`message_ref` text NOT NULL,
	PRIMARY KEY(`network`, `message_id`, `recipient`)
);
