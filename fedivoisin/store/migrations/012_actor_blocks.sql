-- Personal blocks (issue 17): which actor a local actor blocks, enforced by the inbox
-- handlers (a blocked actor's Follow is refused, never pending). Undo(Block) deletes the
-- row and restores nothing else.
CREATE TABLE actor_blocks (
    blocker TEXT NOT NULL,
    blocked TEXT NOT NULL,
    activity_uri TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (blocker, blocked)
);
CREATE INDEX actor_blocks_activity ON actor_blocks(activity_uri);
