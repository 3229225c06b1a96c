"""Stop reading an uploaded file once it passes the size cap, instead of spooling gigabytes to
disk first. The view then answers `too_large` (the Content-Length check catches honest clients
earlier; this catches chunked bodies and lies)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeCappedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self.request.upload_too_large = True
            raise SkipFile()
        return raw_data  # hand the chunk on to the next handler (memory or temp file)

    def file_complete(self, file_size):
        return None
