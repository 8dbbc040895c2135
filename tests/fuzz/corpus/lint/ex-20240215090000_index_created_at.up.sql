-- strata:no-transaction
-- Built without blocking writes: CONCURRENTLY needs its own transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_created_at ON accounts (created_at);
