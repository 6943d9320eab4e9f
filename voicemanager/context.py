"""Template context: the navigation a user's role allows."""


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    items: list[tuple[str, str]] = []
    if user is not None and user.is_authenticated:
        if user.is_contractor:
            items = [("Recording booth", "/booth/")]
        else:
            items = [
                ("Dashboard", "/vm/"),
                ("Scripts", "/vm/scripts/"),
                ("Tasks", "/vm/tasks/"),
                ("Files", "/vm/files/"),
                ("Private voices", "/vm/voices/"),
                ("Voice owners", "/vm/voice-owners/"),
                ("Team", "/vm/team/"),
                ("Credits", "/vm/credits/"),
            ]
            if user.is_staff:
                items += [("Operator", "/ops/"), ("Admin", "/admin/")]
    return {"nav_items": items, "nav_current": _current(getattr(request, "path", ""), items)}


# Pages reached from the Team page that have no nav item of their own.
_NAV_ALIASES = {"/vm/orgs/": "/vm/team/"}


def _current(path: str, items: list[tuple[str, str]]) -> str:
    """The nav URL the page belongs to: the longest item that prefixes the path (the dashboard only exactly)."""
    for prefix, url in _NAV_ALIASES.items():
        if path.startswith(prefix):
            path = url
    matches = [url for _, url in items if path == url or (url != "/vm/" and path.startswith(url))]
    return max(matches, key=len, default="")
