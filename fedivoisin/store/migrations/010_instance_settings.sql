-- Facts about this instance that every process must agree on, e.g. the public origin the
-- server was started with (the CLI reads it instead of guessing).
CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
