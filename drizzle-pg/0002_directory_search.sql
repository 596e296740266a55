-- Indexed search of the address book (docs/directory.md, "Search"): a stored tsvector of the
-- mailbox's line and alias, folded as foldText (accents, œ æ ß, lower case), cut into
-- letters-and-digits words as SQLite's unicode61 tokenizer does, parser 'simple' (no stemming,
-- no stop words); a GIN index; queries are prefix queries (`:*`). Computed by PostgreSQL in
-- the statement that writes the row.
ALTER TABLE "directory_mailboxes" ADD COLUMN "search_doc" tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, regexp_replace(lower(translate(replace(replace(replace(replace(replace("record" || ' ' || coalesce("alias", ''), 'œ', 'oe'), 'Œ', 'oe'), 'æ', 'ae'), 'Æ', 'ae'), 'ß', 'ss'), 'àÀáÁâÂãÃäÄåÅāĀçÇćĆčČèÈéÉêÊëËēĒėĖęĘìÌíÍîÎïÏīĪñÑńŃòÒóÓôÔõÕöÖøØōŌùÙúÚûÛüÜūŪýÝÿŸšŠśŚžŽźŹżŻ', 'aaaaaaaaaaaaaacccccceeeeeeeeeeeeeeiiiiiiiiiinnnnoooooooooooooouuuuuuuuuuyyyysssszzzzzz')), '[^[:alnum:]]+', ' ', 'g'))) STORED;--> statement-breakpoint
CREATE INDEX "directory_mailboxes_search_idx" ON "directory_mailboxes" USING gin ("search_doc");
