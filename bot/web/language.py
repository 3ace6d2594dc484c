"""Which language a visitor reads: `?lang=` if given, else `Accept-Language`, else the
deployment's default. No cookie remembers it: the pages' links carry `?lang=` instead."""

from __future__ import annotations

from collections.abc import Sequence


def from_accept_language(header: str, supported: Sequence[str], default: str) -> str:
    """The supported language the header prefers most (RFC 9110 quality values); a region
    (`en-GB`) counts for its language, `*` for the default."""
    best, best_quality = default, 0.0
    for position, item in enumerate(header.split(",")):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.strip().split("-")[0].casefold()
        if language == "*":
            language = default
        # Earlier entries win ties, as browsers list them in order of preference.
        score = quality - position * 1e-6
        if language in supported and quality > 0 and score > best_quality:
            best, best_quality = language, score
    return best
