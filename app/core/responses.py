"""A JSON response rendered by orjson (FastAPI deprecated its own ORJSONResponse)."""

from typing import Any

import orjson
from starlette.responses import Response


class FastJSONResponse(Response):
    """Hot endpoints build plain dicts and skip the response-model round trip."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
