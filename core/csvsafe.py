"""CSV cells that spreadsheets will not run as formulas."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Text that starts like a formula gets a leading apostrophe (OWASP CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        # Plain negative numbers stay numbers: only text is escaped.
        try:
            float(text)
            return text
        except ValueError:
            return "'" + text
    return text


class Echo:
    """A file-like object whose write returns the line, for StreamingHttpResponse."""

    def write(self, value):
        return value
