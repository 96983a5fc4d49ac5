"""A person using Coplan in a real browser by clicking links and buttons only.

`Walk` never types an address: after signing in at the site's front door, every page is reached
by clicking something on the page before, so a step that needs a typed URL fails the walk. Each
page it reaches is checked once, at desktop and at phone width, with axe-core (WCAG 2.2 A/AA),
and pages that show maths must have it typeset (KaTeX output, no raw TeX on screen).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_accessibility_browser import RUN_AXE, TAGS

DESKTOP = (1280, 900)
PHONE = (390, 844)
#: What a person reads: visible text, with the editing boxes, source listings and the forms'
#: Markdown hints left out (a textarea, a source diff or a hint shows TeX on purpose).
SHOWN_TEXT = """
const main = document.querySelector('main').cloneNode(true);
main.querySelectorAll('textarea, pre, code, .hint, .diff, .katex-mathml, script')
    .forEach(e => e.remove());
return main.innerText;
"""
TYPESET = ("return document.readyState === 'complete' && !document.querySelector("
           "'.math-inline:not(:has(.katex)), .math-block:not(:has(.katex))')")


def page_kind(url: str) -> str:
    """/lessons/12/edit?x=1 -> /lessons/<id>/edit: the kind of page, for the report."""
    path = re.sub(r"^https?://[^/]+", "", url).split("#")[0]
    path, _, query = path.partition("?")
    kind = re.sub(r"/\d+", "/<id>", path)
    names = sorted(p.split("=")[0] for p in query.split("&")) if query else []
    return kind + ("?" + "&".join(names) if names else "")


@dataclass
class Walk:
    browser: object
    base: str
    axe: str
    password: str
    #: Page kind -> the serious or critical axe findings at each width ([] = none).
    audited: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    #: Page kinds where maths was found typeset.
    maths_pages: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)

    # --- arriving --------------------------------------------------------------------------
    def sign_in(self, email: str) -> None:
        """The one address anyone types: the site itself, which asks her to sign in."""
        self.browser.delete_all_cookies()
        self.browser.get(self.base + "/")
        assert "/login" in self.browser.current_url
        self.browser.find_element(By.ID, "f-email").send_keys(email)
        self.browser.find_element(By.ID, "f-password").send_keys(self.password)
        self._press(self.browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
        assert "/login" not in self.browser.current_url, f"{email} could not sign in"

    def _arrived(self) -> None:
        WebDriverWait(self.browser, 10).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        url = self.browser.current_url
        self.steps.append(url.replace(self.base, ""))
        kind = page_kind(url)
        # Asked of the page itself: find_elements would wait out the driver's implicit wait
        # (2 s) on every page without maths.
        if self.browser.execute_script(
                "return document.querySelector('.math-inline, .math-block') !== null"):
            WebDriverWait(self.browser, 10).until(
                lambda d: d.execute_script(TYPESET), message=f"maths not typeset on {url}")
            assert self.browser.find_elements(By.CSS_SELECTOR, ".katex"), url
            self.maths_pages.add(kind)
        shown = self.browser.execute_script(SHOWN_TEXT)
        raw = shown.find("\\frac") if "\\frac" in shown else shown.find("$$")
        assert raw < 0, f"raw TeX on {url}: …{shown[max(0, raw - 300):raw + 80]}…"
        if kind not in self.audited:
            self.audited[kind] = {"desktop": self._axe(), "phone": self._at(PHONE, self._axe)}

    def _axe(self) -> list[dict]:
        self.browser.execute_script(self.axe)
        found = self.browser.execute_async_script(RUN_AXE, TAGS)
        return [v for v in found if v["impact"] in ("serious", "critical")]

    def _at(self, size: tuple[int, int], check):
        self.browser.set_window_size(*size)
        try:
            return check()
        finally:
            self.browser.set_window_size(*DESKTOP)

    # --- moving on -------------------------------------------------------------------------
    def _press(self, element: WebElement) -> None:
        page = self.browser.find_element(By.TAG_NAME, "html")
        self._reveal(element)
        element.click()
        WebDriverWait(self.browser, 10).until(staleness_of(page))
        self._arrived()

    def _reveal(self, element: WebElement) -> None:
        """Open the menus (<details>) the element sits in, as a person would."""
        self.browser.execute_script(
            "for (let d = arguments[0].closest('details'); d;"
            "     d = d.parentElement.closest('details')) d.open = true;"
            "arguments[0].scrollIntoView({block: 'center'});", element)

    def link(self, text: str, *, within: str = "main", partial: bool = False) -> WebElement:
        scope = self.browser.find_element(By.CSS_SELECTOR, within)
        for anchor in scope.find_elements(By.TAG_NAME, "a"):
            label = " ".join(anchor.get_attribute("textContent").split())
            if label == text or (partial and text in label):
                return anchor
        shown = [" ".join(a.get_attribute("textContent").split())
                 for a in scope.find_elements(By.TAG_NAME, "a")]
        raise NoSuchElementException(
            f"no link {text!r} in {within} on {self.browser.current_url}; links: {shown}")

    def click(self, text: str, *, within: str = "main", partial: bool = False) -> None:
        self._press(self.link(text, within=within, partial=partial))

    def press(self, label: str, *, within: str = "main") -> None:
        scope = self.browser.find_element(By.CSS_SELECTOR, within)
        for button in scope.find_elements(By.TAG_NAME, "button"):
            if " ".join(button.get_attribute("textContent").split()) == label:
                self._press(button)
                return
        raise NoSuchElementException(f"no button {label!r} on {self.browser.current_url}")

    # --- filling in ------------------------------------------------------------------------
    def type(self, field_id: str, text: str) -> None:
        box = self.browser.find_element(By.ID, field_id)
        self._reveal(box)
        box.clear()
        box.send_keys(text)

    def choose(self, field_id: str, visible_text: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.browser.find_element(By.ID, field_id)).select_by_visible_text(visible_text)

    def tick(self, label_starts: str) -> None:
        """Tick the checkbox or radio button whose label starts with these words."""
        for label in self.browser.find_elements(By.CSS_SELECTOR, "main label"):
            if " ".join(label.get_attribute("textContent").split()).startswith(label_starts):
                box = self.browser.find_element(By.ID, label.get_attribute("for"))
                self._reveal(box)
                if not box.is_selected():
                    label.click()
                return
        raise NoSuchElementException(f"no choice {label_starts!r} on {self.browser.current_url}")

    def set_date(self, field_id: str, iso: str) -> None:
        """A date picker's value (typing into one depends on the browser's locale)."""
        self.browser.execute_script("arguments[0].value = arguments[1];",
                                    self.browser.find_element(By.ID, field_id), iso)

    # --- reading ---------------------------------------------------------------------------
    def text(self, css: str = "main") -> str:
        return self.browser.find_element(By.CSS_SELECTOR, css).text

    def heading(self) -> str:
        return self.browser.find_element(By.TAG_NAME, "h1").text
