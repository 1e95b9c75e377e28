-- Delivery leases (issue 17): a worker claims due rows until `claimed_until`; nobody else
-- (a restarted server, a later PostgreSQL worker using FOR UPDATE SKIP LOCKED) sends a
-- claimed row before its lease ends, so an attempt that may still be in flight after a
-- crash is never sent a second time. Recording an outcome clears the claim.
ALTER TABLE deliveries ADD COLUMN claimed_until REAL;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
