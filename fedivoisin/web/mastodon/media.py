"""Media attachments (POST /api/v2/media): placeholder until uploads land.

`attach` turns media ids into AS2 `attachment` entries of a status being composed.
"""

from __future__ import annotations

from typing import Any

from ...errors import Unprocessable
from ...runtime import Runtime
from ...store.actors import LocalActor


async def attach(rt: Runtime, actor: LocalActor, obj: dict[str, Any], ids: list[str]) -> None:
    if ids:
        raise Unprocessable("media uploads are not supported yet", field="media_ids")
