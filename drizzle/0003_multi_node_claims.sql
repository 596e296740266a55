ALTER TABLE `deliveries` ADD `owner` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `bounced_by` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `reply` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `owner` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `lease_until` integer;