"""PNG text chunks, where image generators leave their settings: AUTOMATIC1111 writes
`parameters` (prompt, steps, sampler, model), ComfyUI writes `prompt` and `workflow` JSON."""

from __future__ import annotations

from PIL import Image

from uploads.metadata.limits import MAX_ITEMS, MAX_LONG_TEXT, clip

GENERATOR_KEYS = ("parameters", "prompt", "workflow", "Dream", "sd-metadata", "invokeai_metadata")


def read_png_text(image: Image.Image) -> dict:
    text = getattr(image, "text", None) or {}
    chunks = {}
    for key, value in list(text.items())[:MAX_ITEMS]:
        if key == "XML:com.adobe.xmp":
            continue  # read as XMP
        limit = MAX_LONG_TEXT if key in GENERATOR_KEYS else 500
        chunks[clip(key, 80)] = clip(value, limit)
    return chunks


def generator_hints(chunks: dict) -> list[str]:
    hints = []
    if "parameters" in chunks and "Steps:" in str(chunks["parameters"]):
        hints.append("AUTOMATIC1111 / Stable Diffusion web UI parameters")
    if "prompt" in chunks or "workflow" in chunks:
        hints.append("ComfyUI prompt/workflow")
    if any(key in chunks for key in ("Dream", "sd-metadata", "invokeai_metadata")):
        hints.append("InvokeAI metadata")
    return hints
