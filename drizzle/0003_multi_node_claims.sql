ALTER TABLE `deliveries` ADD `owner` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `bounced_by` text;--> statement-breakpoint
CREATE INDEX `deliveries_bounced_by_idx` ON `deliveries` (`bounced_by`);--> statement-breakpoint
ALTER TABLE `messages` ADD `reply` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `owner` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `lease_until` integer;