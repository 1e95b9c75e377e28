"""The Mastodon-compatible client API (docs/mastodon-api.md).

`entities` turns our objects into Mastodon's JSON (pure), `present` gathers what an entity
needs from the store, `routes_*` map the HTTP endpoints onto the C2S/outbox functions that
federation uses, so a status posted from an app is exactly a C2S Create.
"""
