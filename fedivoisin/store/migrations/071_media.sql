-- Uploaded media (POST /api/v2/media): the file lives in {data_dir}/media/{name}; the row
-- says whose it is, what it is and which status it was attached to.
CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,                 -- local actor slug
  name TEXT NOT NULL UNIQUE,           -- random file name with its extension
  content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
  size INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  blurhash TEXT,
  description TEXT NOT NULL DEFAULT '',
  object_uri TEXT,                     -- the status it is attached to, once posted
  created_at REAL NOT NULL
);
CREATE INDEX media_owner ON media(owner, id);
