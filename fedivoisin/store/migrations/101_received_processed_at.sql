-- When the inbox worker finished processing a received activity (issue 17 item 5):
-- `fedivoisin status` shows the last one, so an operator sees a stalled worker.
ALTER TABLE received ADD COLUMN processed_at REAL;
