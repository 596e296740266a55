-- Indexed search of the address book (docs/directory.md, "Search"): an external-content
-- FTS5 index over a virtual column (the mailbox's line and alias, with the two-letter folds
-- of foldText: œ æ ß), tokenizer unicode61 with diacritics removed, prefix indexes for 2 and
-- 3 letters. Kept in step by triggers, in the transaction of each write; a bulk first import
-- drops the triggers and rebuilds the index at its end (storage/sqlite/directory.ts).
ALTER TABLE `directory_mailboxes` ADD COLUMN `search_text` text GENERATED ALWAYS AS (replace(replace(replace(replace(replace(`record` || ' ' || coalesce(`alias`, ''), 'œ', 'oe'), 'Œ', 'oe'), 'æ', 'ae'), 'Æ', 'ae'), 'ß', 'ss')) VIRTUAL;--> statement-breakpoint
CREATE VIRTUAL TABLE `directory_fts` USING fts5(search_text, content='directory_mailboxes', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');--> statement-breakpoint
CREATE TRIGGER `directory_fts_ai` AFTER INSERT ON `directory_mailboxes` BEGIN
  INSERT INTO directory_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;--> statement-breakpoint
CREATE TRIGGER `directory_fts_ad` AFTER DELETE ON `directory_mailboxes` BEGIN
  INSERT INTO directory_fts (directory_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;--> statement-breakpoint
CREATE TRIGGER `directory_fts_au` AFTER UPDATE OF `record`, `alias` ON `directory_mailboxes` BEGIN
  INSERT INTO directory_fts (directory_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
  INSERT INTO directory_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;--> statement-breakpoint
INSERT INTO directory_fts (directory_fts) VALUES ('rebuild');
