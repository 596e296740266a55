-- The search index merges its segments eight at a time (FTS5's `automerge`; its default is 4) (docs/directory.md,
-- "Performance"). A first load's index is built beside the import with the same setting, as some thirty segments
-- merged eight at a time: a million rows' words 6.7–7.2 → 5.8–6.1 s of CPU. Adopted by an address book merging
-- four at a time, its structure was merged again by the next write: the first 1 % re-import took 2.1–2.9 s instead
-- of 1.5–1.7. With the same setting here, 1.6 s; queries as fast (miss, prefix, two words: the same medians).
INSERT INTO `directory_search` (`directory_search`, `rank`) VALUES ('automerge', 8);
