-- strata:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS accounts_created_at;
