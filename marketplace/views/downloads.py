"""Package downloads by signed link: the link itself authorizes (programs fetch it without a
session), is checked on every use, and every download is logged before a byte is sent."""

from __future__ import annotations

from django.http import FileResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET

from config.errors import ApplicationError
from marketplace.models import PackageFileKind
from marketplace.services.delivery import download_authorize, download_log
from uploads import storage

MEDIA_TYPES = {
    PackageFileKind.SHARD: "application/x-tar",
    PackageFileKind.INDEX: "application/vnd.apache.parquet",
    PackageFileKind.CROISSANT: "application/ld+json",
    PackageFileKind.MANIFEST: "application/json",
    PackageFileKind.LICENSE: "text/markdown; charset=utf-8",
    PackageFileKind.ODRL: "application/ld+json",
    PackageFileKind.TEXT: "application/vnd.apache.parquet",
}


@require_GET
def package_file_download(request, file_id: int):
    try:
        package_file, user = download_authorize(file_id=file_id, params=request.GET)
    except ApplicationError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    download_log(
        package_file=package_file,
        user=user,
        ip_address=request.META.get("REMOTE_ADDR"),
        user_agent=request.headers.get("User-Agent", ""),
    )
    media_type = MEDIA_TYPES.get(package_file.kind, "application/octet-stream")
    url = storage.signed_url(
        package_file.storage_key, media_type=media_type, download_name=package_file.name
    )
    if url:  # S3: a short-lived presigned URL for this one request
        return HttpResponseRedirect(url)
    response = FileResponse(
        storage.open_file(package_file.storage_key),
        content_type=media_type,
        as_attachment=True,
        filename=package_file.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
