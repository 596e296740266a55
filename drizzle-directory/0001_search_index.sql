-- The address book's search index (docs/directory.md, "Search"): a contentless FTS5 table,
-- one row per mailbox (rowid = directory_mailboxes.id), holding the words a search may find
-- (`directory/search-text.ts`: name, profession, specialty, service, organisation, identifiers,
-- street and city, the address and the alias), already folded by foldText (accents, case,
-- œ æ ß). The engine writes it in the same transaction as the mailbox (no trigger: the words
-- are made in JavaScript). No positions (`detail=none`: small and fast to build; a dotted
-- word's sequence is checked on the few candidates), a prefix index for three letters.
CREATE VIRTUAL TABLE `directory_search` USING fts5(words, content='', contentless_delete=1, detail=none, prefix='3', tokenize='unicode61 remove_diacritics 0');
