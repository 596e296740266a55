-- The search index without its prefix index, folding its words itself (docs/directory.md, "Search"). The three-letter
-- prefix index was a third of the words' writing (1,000,000 lines: 1.6 of 5.4 s on the side
-- thread of a first load, the thread that then held the load back) for one kind of query, a
-- prefix of exactly three letters (p50 0.5 ms with it, 13 ms without: FTS5 then merges the
-- terms that begin with it, as it always did for a prefix of any other length).
-- It also folds the words itself (`unicode61 remove_diacritics 2`: case and accents), which
-- `foldText` did in JavaScript before they were written (1.1 s of the same thread); the
-- engines fold beforehand only a text holding a character the tokenizer folds otherwise
-- (`searchWords` in directory/search-text.ts). The index's tokens are those it held before.
-- A contentless table keeps no text to rebuild from: the table is made anew, empty, and
-- refilled from the mailboxes by the engine (SQLite: when the address book is opened, once;
-- a D1 copy: the next publication is a full one, its marker being dropped here).
DROP TABLE `directory_search`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `directory_search` USING fts5(words, content='', contentless_delete=1, detail=none, tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
INSERT INTO `directory_search` (`directory_search`, `rank`) VALUES ('hashsize', 16777216);
--> statement-breakpoint
DELETE FROM `directory_exports` WHERE `feed` = 'published';
