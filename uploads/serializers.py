"""API shapes for works. Input serializers check shape; the rules live in services."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.input_fields import CanonicalChoiceField, IdField
from uploads.models import AiInvolvement, UploadBatch, Work, WorkStatus, WorkStatusChange


@extend_schema_field(
    {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]}
)
class TagsField(serializers.Field):
    """Tags as a list, or as one comma-separated string (handy in multipart forms)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            return [t for t in data.split(",") if t.strip()]
        if isinstance(data, list) and all(isinstance(t, str) for t in data):
            return data
        raise serializers.ValidationError("Send tags as a list of strings or 'a, b, c'.")

    def to_representation(self, value):
        return value


class WorkSubmitInput(serializers.Serializer):
    # Empty files pass here so the service can answer its own `empty_file` code.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="One work: a JPEG, PNG or WebP image, a WAV, FLAC, MP3 or Ogg recording, or a "
        "text (.txt, .md, .epub).",
    )
    # No max_length here: the service refuses an overlong title with its own code
    # (`title_too_long`), which the web uploader's batch records for that one file.
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="At most 200 characters. Empty or left out: the file name without its "
        "extension, underscores and dashes as spaces.",
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    tags = TagsField(required=False)
    ai_involvement = CanonicalChoiceField(choices=AiInvolvement.choices)
    rights_confirmed = serializers.BooleanField(
        help_text="true: I hold the rights to this work, or act for the rights holder named."
    )
    rights_holder = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The copyright holder when it is not you.",
    )
    batch = IdField(required=False, help_text="Upload batch id (web uploader).")


class WorkListQuery(serializers.Serializer):
    status = CanonicalChoiceField(
        choices=WorkStatus.choices,
        required=False,
        allow_blank=True,
        help_text="Only works in this status (any case).",
    )
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Search title, description and tags"
    )


class WorkUpdateInput(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    tags = TagsField(required=False)


class WorkStatusChangeOutput(serializers.ModelSerializer):
    class Meta:
        model = WorkStatusChange
        fields = ["from_status", "to_status", "reason", "at"]


class WorkOutput(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=WorkStatus.choices)
    tags = serializers.ListField(child=serializers.CharField())
    files = serializers.SerializerMethodField()
    fingerprints = serializers.SerializerMethodField()

    class Meta:
        model = Work
        fields = [
            "id",
            "uuid",
            "title",
            "description",
            "tags",
            "status",
            "status_reason",
            "rights_holder",
            "rights_holder_is_creator",
            "ai_involvement",
            "declared_at",
            "original_filename",
            "kind",
            "media_type",
            "byte_size",
            "width",
            "height",
            "duration_ms",
            "sample_rate",
            "channels",
            "word_count",
            "language",
            "excerpt",
            "files",
            "fingerprints",
            "created_at",
            "updated_at",
        ]
        # The medium's facts: read from the file at intake (size) or in processing (language,
        # excerpt); never set through the API.
        read_only_fields = [
            "kind",
            "duration_ms",
            "sample_rate",
            "channels",
            "word_count",
            "language",
            "excerpt",
        ]

    def get_files(self, work) -> dict[str, str | None]:
        def link(kind, present):
            return reverse("uploads:work_file", args=[work.id, kind]) if present else None

        return {
            "original": link("original", True),
            "thumbnail": link("thumbnail", bool(work.thumbnail)),
            "preview": link("preview", bool(work.preview)),
        }

    def get_fingerprints(self, work) -> dict[str, str | int | None]:
        return {
            "sha256": work.sha256,
            "pdq": work.pdq_hash or None,
            "pdq_quality": work.pdq_quality,
            "phash": work.phash or None,
        }


class WorkDetailOutput(WorkOutput):
    metadata = serializers.JSONField()
    history = WorkStatusChangeOutput(source="status_changes", many=True)

    class Meta(WorkOutput.Meta):
        fields = [
            *WorkOutput.Meta.fields,
            "metadata",
            "metadata_creator",
            "digital_source_type",
            "data_mining",
            "has_c2pa",
            "history",
        ]


class BatchCreateInput(serializers.Serializer):
    expected_files = serializers.IntegerField(min_value=0, max_value=1000, default=0)


class BatchNotReceivedInput(serializers.Serializer):
    not_received = serializers.ListField(
        child=serializers.CharField(max_length=255),
        max_length=1000,
        help_text="Names of the batch's files the uploader got no answer for.",
    )


class BatchOutput(serializers.ModelSerializer):
    class Meta:
        model = UploadBatch
        fields = ["id", "expected_files", "created_at"]


class BatchLineOutput(serializers.Serializer):
    filename = serializers.CharField()
    code = serializers.CharField(help_text="A refusal code, `duplicate` or `not_received`.")
    message = serializers.CharField()


class BatchProgressOutput(BatchOutput):
    """A batch with its progress: every file is done once processed, refused, found to be a
    duplicate of an earlier upload, or reported as not received."""

    done = serializers.IntegerField()
    total = serializers.IntegerField()
    finished = serializers.BooleanField()
    works = WorkOutput(many=True)
    refusals = BatchLineOutput(many=True)

    class Meta(BatchOutput.Meta):
        fields = [*BatchOutput.Meta.fields, "done", "total", "finished", "works", "refusals"]
