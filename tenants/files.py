"""Serving files people uploaded: always as downloads, never as pages of a workspace host.

Every workspace is a subdomain of one site, so a file served inline from a workspace host
(an uploaded .html or .svg, or anything a browser sniffs as HTML) would run as that
workspace's page, with its cookies in reach, and SameSite would not stop it reaching
the others. The rule for every view that returns user files (documents on the timeline,
imports, exports, backups): go through `attachment_response`, and never let the proxy or
whitenoise serve MEDIA_ROOT directly (deploy/PRODUCTION.md).
"""

from typing import IO

from django.http import FileResponse

# Also sent when a browser ignores Content-Disposition: nothing in the file may run.
SANDBOX_POLICY = "default-src 'none'; sandbox"


def attachment_response(file: IO[bytes], *, filename: str) -> FileResponse:
    """A response that makes the browser save `file` as `filename`, whatever it contains.

    The content type is always application/octet-stream (the uploader chose the real one,
    so it is not believed), with `nosniff`, a sandboxing Content-Security-Policy and no
    caching by shared caches. The file is closed when the response is.
    """
    response = FileResponse(
        file, as_attachment=True, filename=filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_POLICY
    response["Cache-Control"] = "private, no-store"
    return response
