"""axe-core in a Playwright page: the engine bundled by the pinned ``axe-playwright-python`` wheel."""
from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT

BLOCKING = ("serious", "critical")


def violations(page, impacts=BLOCKING) -> list[dict]:
    """Inject axe-core and run it on the whole page; the violations whose impact is in ``impacts``."""
    page.evaluate(AXE_SCRIPT)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {' '.join(n['target'])}: {n['html'][:160]}" for n in v["nodes"][:5]]
    return "\n".join(lines)


def assert_no_serious_violations(page) -> None:
    found = violations(page)
    assert not found, f"axe-core on {page.url}:\n{describe(found)}"
