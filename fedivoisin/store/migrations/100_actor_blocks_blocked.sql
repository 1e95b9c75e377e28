-- Personal blocks are enforced on every received activity (issue 17 item 2): the inbox
-- worker asks "which local actors block this sender?", a lookup by `blocked`.
CREATE INDEX actor_blocks_blocked ON actor_blocks(blocked);
