CREATE TABLE "directory_exports" (
	"feed" text PRIMARY KEY NOT NULL,
	"last_run" integer NOT NULL,
	"exported_at" bigint NOT NULL,
	"count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "directory_imports" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "directory_imports_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"source" text NOT NULL,
	"file_name" text,
	"file_date" text,
	"started_at" bigint NOT NULL,
	"finished_at" bigint,
	"counts" text
);
--> statement-breakpoint
CREATE TABLE "directory_issues" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "directory_issues_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run" integer NOT NULL,
	"kind" text NOT NULL,
	"line" integer,
	"address" text,
	"detail" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "directory_mailboxes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "directory_mailboxes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"network" text NOT NULL,
	"address" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"alias" text,
	"display_name" text,
	"party_key" text,
	"link_state" text,
	"link_note" text,
	"record" text NOT NULL,
	"line_hash" bigint NOT NULL,
	"first_run" integer NOT NULL,
	"change_run" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "directory_issues_run_idx" ON "directory_issues" USING btree ("run","id");--> statement-breakpoint
CREATE UNIQUE INDEX "directory_mailboxes_address_idx" ON "directory_mailboxes" USING btree ("address");--> statement-breakpoint
CREATE UNIQUE INDEX "directory_mailboxes_alias_idx" ON "directory_mailboxes" USING btree ("alias");--> statement-breakpoint
CREATE INDEX "directory_mailboxes_party_idx" ON "directory_mailboxes" USING btree ("party_key");