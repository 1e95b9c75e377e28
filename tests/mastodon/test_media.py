"""Media uploads: JPEG/PNG/WebP only, size and pixel caps, EXIF stripped (Pillow),
blurhash and description, served with safe headers, attached to a status and federated
as `attachment`."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from PIL import Image

from tests.rig import Instance, wait_for


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 80, 20))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x010E] = "rue des Lilas 12"  # ImageDescription: where the photo was taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_upload_strips_exif_and_federates_as_attachment(
    instance_factory: Callable[..., Any],
) -> None:
    home: Instance = await instance_factory()
    other: Instance = await instance_factory()
    await home.person("alice", manually_approves=False)
    await other.person("zoe")
    alice = await home.token("alice")
    zoe = await other.token("zoe")
    follow = await other.c2s("zoe", zoe, {"type": "Follow", "object": home.actor("alice")})
    assert follow.status_code == 201
    raw = jpeg_with_gps()
    assert b"PhoneMaker" in raw
    h = {"Authorization": f"Bearer {alice}"}
    async with home.http() as c:
        alice_id = (await c.get("/api/v1/accounts/lookup?acct=alice")).json()["id"]

        async def followed() -> bool:
            r = await c.get(f"/api/v1/accounts/{alice_id}/followers")
            return len(r.json()) == 1

        await wait_for(followed)
        r = await c.post(
            "/api/v2/media",
            files={"file": ("photo.png", raw, "image/png")},
            data={"description": "La cour fleurie"},
            headers=h,
        )
        assert r.status_code == 200, r.text
        media = r.json()
        assert media["type"] == "image" and media["blurhash"]
        assert media["meta"]["original"]["width"] == 40
        served = await c.get(media["url"])
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]
        assert b"PhoneMaker" not in served.content and b"Exif" not in served.content
        r = await c.put(f"/api/v1/media/{media['id']}", data={"description": "Fleurs"}, headers=h)
        assert r.json()["description"] == "Fleurs"
        r = await c.post(
            "/api/v1/statuses", data={"status": "Printemps", "media_ids[]": media["id"]}, headers=h
        )
        assert r.status_code == 200, r.text
        status = r.json()
        assert status["media_attachments"][0]["url"] == media["url"]
        assert status["media_attachments"][0]["description"] == "Fleurs"
        # Wrong types, bombs and someone else's media are refused.
        bad = await c.post(
            "/api/v2/media", files={"file": ("x.gif", b"GIF89a....", "image/gif")}, headers=h
        )
        assert bad.status_code == 422 and bad.json()["field"] == "file"
        huge = io.BytesIO()
        Image.new("L", (5000, 4000)).save(huge, "PNG")
        bomb = await c.post(
            "/api/v2/media", files={"file": ("big.png", huge.getvalue(), "image/png")}, headers=h
        )
        assert bomb.status_code == 422 and "pixels" in bomb.json()["error"]
        svg = await c.get("/media/../fedivoisin.sqlite3")
        assert svg.status_code == 404

    async def delivered() -> Any:
        items = await other.inbox("zoe", zoe)
        return next(
            (i for i in items if i.get("type") == "Create" and i["object"].get("attachment")),
            None,
        )

    create = await wait_for(delivered, timeout=10)
    att = create["object"]["attachment"][0]
    assert att["mediaType"] == "image/jpeg" and att["name"] == "Fleurs" and att["blurhash"]
