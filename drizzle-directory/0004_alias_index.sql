-- The alias namespace's index without the route's columns (docs/directory.md, "Performance"). The route index
-- (alias, network, status, address, display name) answered a resolve from the index alone, 170,000 lookups/s on a
-- million rows; but a first load sorted and wrote its 110 MB (the alias alone: 35 MB), and every change of a
-- status or a display name rewrote its entry. Resolve now finds the row through the alias and reads the route
-- from it: 141,000/s. The same index as PostgreSQL's, by the same name: unique, as the namespace is.
-- (IF NOT EXISTS: a file that code of this version opened before its migrations ran has it already.)
DROP INDEX IF EXISTS `directory_mailboxes_route_idx`;--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS `directory_mailboxes_alias_idx` ON `directory_mailboxes` (`alias`);
