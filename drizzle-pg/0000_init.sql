CREATE TABLE "deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"message_ref" text NOT NULL,
	"recipient" text NOT NULL,
	"target_network" text,
	"target_address" text,
	"state" text NOT NULL,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"owner" text,
	"lease_until" bigint,
	"bounced_by" text,
	"last_error" text,
	"uncertain" boolean DEFAULT false NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"message_ref" text NOT NULL,
	"at" bigint NOT NULL,
	"stage" text NOT NULL,
	"level" text NOT NULL,
	"detail" text NOT NULL,
	"recipient" text
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"mail_from" text NOT NULL,
	"message_id" text,
	"received_at" bigint NOT NULL,
	"size" bigint NOT NULL,
	"state" text NOT NULL,
	"stage" text,
	"reason" text,
	"reply" text,
	"owner" text,
	"lease_until" bigint,
	"remote" text,
	"related_id" text,
	"notices_due" boolean DEFAULT false NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "raw_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"bytes" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seen" (
	"network" text NOT NULL,
	"message_id" text NOT NULL,
	"recipient" text NOT NULL,
	"digest" text DEFAULT '' NOT NULL,
	"message_ref" text NOT NULL,
	CONSTRAINT "seen_network_message_id_recipient_digest_pk" PRIMARY KEY("network","message_id","recipient","digest")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_message_recipient_idx" ON "deliveries" USING btree ("message_ref","recipient");--> statement-breakpoint
CREATE INDEX "deliveries_queued_idx" ON "deliveries" USING btree ("next_attempt_at","id") WHERE "deliveries"."state" = 'queued';--> statement-breakpoint
CREATE INDEX "deliveries_sending_idx" ON "deliveries" USING btree ("lease_until") WHERE "deliveries"."state" = 'sending';--> statement-breakpoint
CREATE INDEX "deliveries_bounced_by_idx" ON "deliveries" USING btree ("bounced_by");--> statement-breakpoint
CREATE INDEX "events_message_idx" ON "events" USING btree ("message_ref","id");--> statement-breakpoint
CREATE INDEX "messages_state_idx" ON "messages" USING btree ("state","id");--> statement-breakpoint
CREATE INDEX "messages_unprocessed_idx" ON "messages" USING btree ("id") WHERE "messages"."state" in ('received', 'opened');--> statement-breakpoint
CREATE INDEX "messages_notices_due_idx" ON "messages" USING btree ("id") WHERE "messages"."notices_due";