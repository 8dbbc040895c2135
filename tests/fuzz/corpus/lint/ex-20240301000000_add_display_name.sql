-- migrate:up
ALTER TABLE accounts ADD COLUMN display_name text;

-- migrate:down
ALTER TABLE accounts DROP COLUMN display_name;
