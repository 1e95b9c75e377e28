-- The hashtags of every stored object (local and received: `tag` items of type Hashtag),
-- lower-cased without '#': tag timelines and search read this index, not the documents.
CREATE TABLE object_hashtags (
  id INTEGER PRIMARY KEY,
  object_uri TEXT NOT NULL,
  tag TEXT NOT NULL,
  UNIQUE (tag, object_uri)
);
CREATE INDEX object_hashtags_object ON object_hashtags(object_uri);
