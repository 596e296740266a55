-- The search index without its prefix index (docs/directory.md, "Search"). The three-letter
-- prefix index was a third of the words' writing (1,000,000 lines: 1.6 of 5.4 s on the side
-- thread of a first load, the thread that then held the load back) for one kind of query, a
-- prefix of exactly three letters (p50 0.5 ms with it, 13 ms without: FTS5 then merges the
-- terms that begin with it, as it always did for a prefix of any other length).
-- A contentless table keeps no text to rebuild from: the table is made anew, empty, and
-- refilled from the mailboxes by the engine (SQLite: when the address book is opened, once;
-- a D1 copy: the next publication is a full one, its marker being dropped here).
DROP TABLE `directory_search`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `directory_search` USING fts5(words, content='', contentless_delete=1, detail=none, tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
INSERT INTO `directory_search` (`directory_search`, `rank`) VALUES ('hashsize', 16777216);
--> statement-breakpoint
DELETE FROM `directory_exports` WHERE `feed` = 'published';
