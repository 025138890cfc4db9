-- Files up to FILE_MAX_MB (at most 100 MB, bot/config) are kept: the
-- limit is the configuration's, checked where a file comes in; the table
-- only bounds it.
ALTER TABLE files DROP CONSTRAINT IF EXISTS files_size_check;
ALTER TABLE files ADD CONSTRAINT files_size_check CHECK (size <= 100 * 1024 * 1024);
