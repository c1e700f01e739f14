"""Refuse oversized document uploads from their Content-Length, before the body is read.

Without this the multipart parser would spool a body of any size to disk before the
route could say no. Bodies without a Content-Length (chunked) still meet the route's
own byte limit; a reverse proxy in front should cap body sizes as well.
"""

from __future__ import annotations

import json
import re
from typing import Any

UPLOAD_PATH = re.compile(r"^/v1/assets/[^/]+/documents/?$")


class UploadSizeLimit:
    def __init__(self, app: Any, max_document_bytes: int, framing_bytes: int = 64 * 1024):
        self.app = app
        self.max_document_bytes = max_document_bytes
        # Multipart boundaries, part headers and the small form fields ride along.
        self.max_body_bytes = max_document_bytes + framing_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and UPLOAD_PATH.match(scope["path"]):
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                await self._too_large(send)
                return
        await self.app(scope, receive, send)

    async def _too_large(self, send: Any) -> None:
        # The same envelope as backend/api/errors.py (this runs outside the routers).
        message = f"a document may be at most {self.max_document_bytes} bytes"
        body = json.dumps({"error": {"code": "request.too_large", "message": message}}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
