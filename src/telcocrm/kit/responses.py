"""JSON responses built by the route itself, for the hottest reads.

A route that returns a dict has FastAPI validate it against the declared response model (in the thread pool,
for a plain `def` route) and serialize it afterwards. Returning the serialized Response skips that round;
the routes keep `response_model=dict[str, Any]` so the OpenAPI document is the same, and pydantic's
serializer writes exactly the bytes FastAPI would have written.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic_core import to_json


def json_response(content: Any) -> Response:
    """A 200 JSON response of already plain content (dicts, lists, strings, numbers, booleans, None)."""
    return Response(content=to_json(content), media_type="application/json")
