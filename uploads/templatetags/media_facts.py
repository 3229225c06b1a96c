"""{% load media_facts %}: a work's file type, language, sample rate, channels and medium icon in words."""

from django import template

from uploads import media_facts

register = template.Library()

register.filter("media_type_name", media_facts.media_type_name)
register.filter("language_name", media_facts.language_name)
register.filter("sample_rate_text", media_facts.sample_rate_text)
register.filter("channels_text", media_facts.channels_text)
register.filter("kind_icon", media_facts.kind_icon)
