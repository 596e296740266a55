CREATE TABLE `directory_exports` (
	`feed` text PRIMARY KEY NOT NULL,
	`last_run` integer NOT NULL,
	`exported_at` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `directory_imports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`file_name` text,
	`file_date` text,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`counts` text
);
--> statement-breakpoint
CREATE TABLE `directory_issues` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run` integer NOT NULL,
	`kind` text NOT NULL,
	`line` integer,
	`address` text,
	`detail` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `directory_issues_run_idx` ON `directory_issues` (`run`);--> statement-breakpoint
CREATE TABLE `directory_mailboxes` (
	`id` integer PRIMARY KEY NOT NULL,
	`network` text NOT NULL,
	`address` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`alias` text,
	`display_name` text,
	`party_key` text,
	`link_state` text,
	`link_note` text,
	`record` text NOT NULL,
	`line_hash` integer NOT NULL,
	`first_run` integer NOT NULL,
	`change_run` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `directory_mailboxes_address_idx` ON `directory_mailboxes` (`address`);--> statement-breakpoint
CREATE UNIQUE INDEX `directory_mailboxes_route_idx` ON `directory_mailboxes` (`alias`,`network`,`status`,`address`,`display_name`);--> statement-breakpoint
CREATE INDEX `directory_mailboxes_party_idx` ON `directory_mailboxes` (`party_key`);