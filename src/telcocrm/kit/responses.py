"""JSON responses built by the route itself, for the hottest reads.

A route that returns a dict has FastAPI validate it against the declared response model (in the thread pool,
for a plain `def` route) and serialize it afterwards. Returning the serialized Response skips that round;
the routes keep `response_model=dict[str, Any]` so the OpenAPI document is the same, and pydantic's
serializer (`pydantic_core.to_json`, as customers/responses.py uses) writes exactly the bytes FastAPI would
have written.
"""

from __future__ import annotations

from fastapi import Response


def json_response(body: bytes) -> Response:
    """A 200 JSON response of a body already serialized (the same bytes the hot reads send)."""
    return Response(content=body, media_type="application/json")
