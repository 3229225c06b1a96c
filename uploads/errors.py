"""Refusal codes for uploads. Stable: API clients branch on them."""

from config.errors import ApplicationError


class UploadRefused(ApplicationError):
    def __init__(self, code: str, message: str, *, status: int = 400, **extra) -> None:
        super().__init__(message, code=code, status=status, extra=extra or None)


EMPTY_FILE = "empty_file"
UNSUPPORTED_TYPE = "unsupported_type"
TOO_LARGE = "too_large"
TOO_MANY_PIXELS = "too_many_pixels"
TOO_SMALL = "too_small"
CORRUPT_IMAGE = "corrupt_image"
ANIMATED_IMAGE = "animated_image"
QUOTA_EXCEEDED = "quota_exceeded"
FILE_MISSING = "file_missing"
TOO_MANY_FILES = "too_many_files"
TITLE_TOO_LONG = "title_too_long"
# Text works.
UNREADABLE_TEXT = "unreadable_text"
TOO_MANY_WORDS = "too_many_words"
TOO_FEW_WORDS = "too_few_words"
CORRUPT_EPUB = "corrupt_epub"
EPUB_BOMB = "archive_too_large"
PROTECTED_EPUB = "protected_epub"
# Audio works.
CORRUPT_AUDIO = "corrupt_audio"
TOO_LONG = "too_long"
TOO_SHORT = "too_short"
TOO_MANY_CHANNELS = "too_many_channels"
UNSUPPORTED_SAMPLE_RATE = "unsupported_sample_rate"
# Not refusals, but lines of an upload batch all the same, so its progress can finish.
DUPLICATE = "duplicate"  # the same bytes were uploaded before: the existing work stands
NOT_RECEIVED = "not_received"  # the uploader got no answer for the file: nothing was kept
