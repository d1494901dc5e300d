"""Helpers for driving the pages in Chromium: logging in, waiting, reading text,
screenshots of whole pages, printing to PDF."""

import base64
import os
import re
from pathlib import Path
from urllib.parse import urlparse

from tests.web.world import PASSWORDS

SHOTS = Path(os.environ.get("GRIDVEND_SCREENSHOT_DIR", "build/screenshots"))
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


def shot(driver, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot of the whole page (not just the window)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    if full_page:
        size = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        viewport = metrics["cssLayoutViewport"]
        mobile = viewport["clientWidth"] < 600
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": viewport["clientWidth"],
                "height": min(size[1], 4000),
                "deviceScaleFactor": 2 if mobile else 1,
                "mobile": mobile,
            },
        )
        driver.save_screenshot(str(path))
        if not mobile:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        else:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    else:
        driver.save_screenshot(str(path))
    _shrink(path)
    return path


def shot_of(driver, css: str, name: str) -> Path:
    """Save a screenshot of one element (the receipt, say)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.find_element("css selector", css).screenshot(str(path))
    _shrink(path)
    return path


def _shrink(path: Path) -> None:
    """256 colours are plenty for a page of text and flat fills: a third of the bytes."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)


def wait_for(driver, condition, timeout: float = 10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def text(driver, css: str) -> str:
    return driver.find_element("css selector", css).text


def log_in(driver, base: str, username: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element("name", "username").send_keys(username)
    driver.find_element("name", "password").send_keys(PASSWORDS[username])
    driver.find_element("css selector", "form.card button[type=submit]").click()
    wait_for(driver, lambda d: urlparse(d.current_url).path != "/login")


def submit(driver, css: str) -> None:
    driver.find_element("css selector", css).click()


def tokens_fit_the_receipt(driver) -> bool:
    """Whether every token lies inside the receipt's box (none overflows its edge)."""
    return driver.execute_script(
        "const box = document.querySelector('#receipt').getBoundingClientRect();"
        "return [...document.querySelectorAll('#receipt .token')].every(t => {"
        "  const r = t.getBoundingClientRect();"
        "  return r.left >= box.left && r.right <= box.right && t.scrollWidth <= t.clientWidth; });"
    )


def pdf_pages(driver, width_cm: float, height_cm: float) -> int:
    """How many pages the current page prints on, on paper of the given size."""
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width = width_cm
    options.page_height = height_cm
    options.margin_top = options.margin_bottom = options.margin_left = options.margin_right = 0
    pdf = base64.b64decode(driver.print_page(options))
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
