CREATE TABLE "network_holds" (
	"network" text PRIMARY KEY NOT NULL,
	"held_at" bigint NOT NULL,
	"held_by" text NOT NULL
);
