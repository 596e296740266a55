-- The address book's search index (docs/directory.md, "Search"): a contentless FTS5 table,
-- one row per mailbox (rowid = directory_mailboxes.id), holding the words a search may find
-- (`directory/search-text.ts`: name, profession, specialty, service, organisation, identifiers,
-- street and city, the address and the alias), already folded by foldText (accents, case,
-- œ æ ß). The engine writes it in the same transaction as the mailbox (no trigger: the words
-- are made in JavaScript). No positions (`detail=none`: small and fast to build; a dotted
-- word's sequence is checked on the few candidates), a prefix index for three letters.
CREATE VIRTUAL TABLE `directory_search` USING fts5(words, content='', contentless_delete=1, detail=none, prefix='3', tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
-- Pending words are kept in memory up to 16 MB before they are written as a segment (1 MB by
-- default): a first load of a million lines in one transaction writes fewer, larger segments
-- and merges less (32.5 s against 46.7 s for 1,000,000 lines, docs/directory.md).
INSERT INTO `directory_search` (`directory_search`, `rank`) VALUES ('hashsize', 16777216);
