"""Reading values out of the pages' HTML in tests (by element id, as a person reads them)."""

import re
from html import unescape


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with `element_id` (tags stripped, entities decoded)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, f"no element #{element_id} on the page"
    text = unescape(re.sub(r"<[^>]+>", " ", found.group(2)))
    return " ".join(text.split())


def tokens_on(html: str) -> list[str]:
    """The 20-digit tokens shown on a receipt page, in entry order."""
    return re.findall(r'class="token" data-digits="(\d{20})"', html)
