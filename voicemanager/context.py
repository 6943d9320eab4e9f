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
    return {"nav_items": items}
